package credentials

import (
	"bufio"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
)

// SharedProfiles lists the profile names in the AWS CLI's config and credentials files
// (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE honoured), for the form to offer.
// Missing or unreadable files give no names: the form then takes a typed name, and
// Save checks it with the SDK's own loader.
func SharedProfiles() []string {
	cfgFile, credFile := sharedFiles()
	seen := map[string]bool{}
	for _, n := range sectionNames(cfgFile, true) {
		seen[n] = true
	}
	for _, n := range sectionNames(credFile, false) {
		seen[n] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// sectionNames reads the [section] headers of an INI file. In the config file profiles
// are "[profile name]" (and "[default]"); "[sso-session x]" and "[services x]" are not
// profiles.
func sectionNames(path string, configFile bool) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
			continue
		}
		fields := strings.Fields(strings.TrimSpace(line[1 : len(line)-1]))
		switch {
		case len(fields) == 1 && (!configFile || fields[0] == "default"):
			names = append(names, fields[0])
		case len(fields) == 2 && configFile && fields[0] == "profile":
			names = append(names, fields[1])
		}
	}
	return names
}

// sharedFiles are the AWS CLI's config and credentials files, as the SDK finds them.
func sharedFiles() (cfgFile, credFile string) {
	cfgFile = os.Getenv("AWS_CONFIG_FILE")
	if cfgFile == "" {
		cfgFile = config.DefaultSharedConfigFilename()
	}
	credFile = os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if credFile == "" {
		credFile = config.DefaultSharedCredentialsFilename()
	}
	return cfgFile, credFile
}
