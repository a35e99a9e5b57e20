package dynamofake_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Neither the desktop app nor the agent carries the fake or the bench tools.
func TestNotInTheAppOrTheAgent(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "transferhub", "transferhub/cloud/cmd/thub").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "transferhub/cloud/state/dynamostore", "the listing holds the app's own packages")
	for _, d := range deps {
		assert.NotContains(t, d, "/benchtools/", "a bench tool in the app or the agent")
	}
}
