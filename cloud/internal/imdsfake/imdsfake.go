// Package imdsfake is a stand-in for one EC2 instance's metadata service (IMDSv2), for
// tests and the harness: it replays the documented behaviour of the paths the agent
// reads, not the service itself. A session token comes from PUT /latest/api/token (its
// X-aws-ec2-metadata-token-ttl-seconds header required, 1 to 21600); every GET needs
// it in X-aws-ec2-metadata-token (401 without a valid one: IMDSv1 is off, as the
// worker's launch template requires). /latest/meta-data/instance-id and
// /latest/meta-data/autoscaling/target-lifecycle-state (InService, then Terminated on
// scale-in) answer text/plain; other paths 404.
package imdsfake

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// Server is one instance's metadata service on a loopback port.
type Server struct {
	// URL is the endpoint to give the IMDS client (http://127.0.0.1:port).
	URL string

	srv *http.Server

	mu         sync.Mutex
	instanceID string
	state      string
	tokens     map[string]bool
	reads      int
}

// Start serves the metadata of instanceID, in lifecycle state "InService".
func Start(instanceID string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + l.Addr().String(), instanceID: instanceID, state: "InService", tokens: map[string]bool{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// SetLifecycleState sets what target-lifecycle-state answers (e.g. "Terminated").
func (s *Server) SetLifecycleState(state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = state
}

// LifecycleReads is how many times target-lifecycle-state was read with a valid token.
func (s *Server) LifecycleReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Close stops serving.
func (s *Server) Close() error { return s.srv.Close() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/latest/api/token" {
		if r.Method != http.MethodPut {
			http.Error(w, "", http.StatusMethodNotAllowed)
			return
		}
		ttl, err := strconv.Atoi(r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds"))
		if err != nil || ttl < 1 || ttl > 21600 {
			http.Error(w, "", http.StatusBadRequest)
			return
		}
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		s.mu.Lock()
		s.tokens[tok] = true
		s.mu.Unlock()
		w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", strconv.Itoa(ttl))
		_, _ = w.Write([]byte(tok))
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	valid := s.tokens[r.Header.Get("X-aws-ec2-metadata-token")]
	var body string
	switch r.URL.Path {
	case "/latest/meta-data/instance-id":
		body = s.instanceID
	case "/latest/meta-data/autoscaling/target-lifecycle-state":
		body = s.state
		if valid {
			s.reads++
		}
	}
	s.mu.Unlock()
	switch {
	case !valid:
		http.Error(w, "", http.StatusUnauthorized)
	case body == "":
		http.NotFound(w, r)
	default:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(body))
	}
}
