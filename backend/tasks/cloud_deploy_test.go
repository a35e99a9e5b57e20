package tasks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"transferhub/backend/credentials"
	"transferhub/cloud/deploy"
	"transferhub/cloud/spec"
	"transferhub/cloud/stack"
	"transferhub/cloud/state"
)

// A cloud image task's stack reaches each side's registry as a local run does: the
// host and login from the profile, over plain HTTP when the profile says so (the
// copiers would otherwise speak TLS to a plain-HTTP registry and copy nothing), and its
// list names the images with the source's host (relative ones were Docker Hub's there).
func TestCloudImageTaskStackReachesTheRegistriesOfItsProfiles(t *testing.T) {
	open := credentials.Resolved{Profile: credentials.Profile{ID: "open", Name: "Open", Kind: credentials.KindRegistry, Host: "127.0.0.1:5001", InsecureHTTP: true}}
	oci := credentials.Resolved{Profile: credentials.Profile{ID: "oci", Name: "OCI", Kind: credentials.KindRegistry, Host: "127.0.0.1:5002", Username: "u", InsecureHTTP: true},
		Secret: credentials.Secret{Password: "p"}}
	r := &CloudRunner{creds: newFakeCreds(awsProfile, open, oci, regProfile)}
	def := func(src, dst string) Definition {
		return Definition{
			Image: &ImageSpec{
				Source:      ImageSource{ProfileID: src, ImageSource: spec.ImageSource{Kind: RegistryKind, References: []string{"team/app:v1", "team/app:v2"}}},
				Destination: ImageDestination{ProfileID: dst, ImageDestination: spec.ImageDestination{Kind: RegistryKind, Prefix: "mirror"}},
			},
			Cloud: &CloudOptions{ProfileID: "aws1", ControlPlane: "cp", MaxCopiers: 2},
		}
	}
	p := Placement{ProfileID: "aws1", Region: "eu-west-1", ControlPlane: "cp"}
	req, err := r.taskRequest(context.Background(), Task{ID: "t1"}, state.Task{Name: "images"}, def("open", "oci"), p)
	require.NoError(t, err)
	assert.Equal(t, stack.KindImageTask, req.Kind)
	assert.Equal(t, "127.0.0.1:5001,127.0.0.1:5002", req.Env["THUB_INSECURE_HTTP"])
	assert.Equal(t, "127.0.0.1:5001/team/app:v1\n127.0.0.1:5001/team/app:v2\n", string(req.List))
	assert.Equal(t, map[deploy.Side]deploy.Credentials{deploy.Destination: {Username: "u", Password: "p"}}, req.Credentials)

	// A TLS registry stays on TLS; a list file's lines get the host too.
	file := filepath.Join(t.TempDir(), "images.txt")
	require.NoError(t, os.WriteFile(file, []byte("team/web:1.0\n# a comment\nteam/db@sha256:"+strings.Repeat("a", 64)+"\n"), 0o600))
	d := def("reg", "oci")
	d.Image.Source.Lists = []string{file}
	req, err = r.taskRequest(context.Background(), Task{ID: "t2"}, state.Task{Name: "images"}, d, p)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:5002", req.Env["THUB_INSECURE_HTTP"])
	assert.Equal(t, "reg.example.com:5000/team/app:v1\nreg.example.com:5000/team/app:v2\nreg.example.com:5000/team/web:1.0\nreg.example.com:5000/team/db@sha256:"+strings.Repeat("a", 64)+"\n",
		string(req.List))

	// An ECR's references stay relative to the ECR the stack names.
	d = def("aws1", "oci")
	d.Image.Source.Kind = ECRKind
	req, err = r.taskRequest(context.Background(), Task{ID: "t3"}, state.Task{Name: "images"}, d, p)
	require.NoError(t, err)
	assert.Equal(t, "team/app:v1\nteam/app:v2\n", string(req.List))
}

// A registry profile that trusts its registry through a CA file on this computer cannot
// serve a cloud task (its agents in AWS have no such file): creating or moving the task
// says so on the side's profile field, and a deploy of a task whose profile got its CA
// file later is refused with the same words. A task run in the app keeps the profile.
func TestCloudImageTaskRefusesARegistryProfileWithACAFile(t *testing.T) {
	withCA := credentials.Resolved{Profile: credentials.Profile{ID: "ca", Name: "Private CA", Kind: credentials.KindRegistry, Host: "reg.internal:5000", Username: "u", CAFile: "/etc/th/ca.pem"},
		Secret: credentials.Secret{Password: "p"}}
	creds := newFakeCreds(awsProfile, regProfile, withCA)
	def := func(src, dst string, cloud bool) Definition {
		d := Definition{Image: &ImageSpec{
			Source:      ImageSource{ProfileID: src, ImageSource: spec.ImageSource{Kind: RegistryKind, References: []string{"team/app:v1"}}},
			Destination: ImageDestination{ProfileID: dst, ImageDestination: spec.ImageDestination{Kind: RegistryKind, Prefix: "mirror"}},
		}}
		if cloud {
			d.Cloud = &CloudOptions{ProfileID: "aws1", ControlPlane: "cp", MaxCopiers: 2}
		}
		return d.normalized()
	}
	fields := func(d Definition) map[string]string {
		out := map[string]string{}
		err := Validate(context.Background(), "images", d, creds.Get, nil)
		if err == nil {
			return out
		}
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		for _, f := range ve.Fields {
			out[f.Field] = f.Message
		}
		return out
	}
	want := `"Private CA" trusts its registry's certificate through the CA file /etc/th/ca.pem on this computer; a cloud task's agents run in AWS without that file`

	got := fields(def("ca", "reg", true))
	assert.Contains(t, got["image.source.profileId"], want)
	assert.NotContains(t, got, "image.destination.profileId")
	got = fields(def("reg", "ca", true))
	assert.Contains(t, got["image.destination.profileId"], want)
	assert.NotContains(t, got, "image.source.profileId")
	for f, msg := range fields(def("ca", "ca", false)) {
		assert.NotContains(t, msg, "CA file", f) // the app itself reads the file
	}

	r := &CloudRunner{creds: creds}
	p := Placement{ProfileID: "aws1", Region: "eu-west-1", ControlPlane: "cp"}
	_, err := r.taskRequest(context.Background(), Task{ID: "t1"}, state.Task{Name: "images"}, def("reg", "ca", true), p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the destination: "+want)
	_, err = r.taskRequest(context.Background(), Task{ID: "t1"}, state.Task{Name: "images"}, def("reg", "reg", true), p)
	require.NoError(t, err)
}
