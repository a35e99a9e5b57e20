// Command htpasswd prints one bcrypt htpasswd line, "<user>:<hash>", for the password read
// from standard input (one line). build/scripts/testenv.sh uses it to give the test
// registry an ECR-like user without depending on apache2-utils.
//
//	echo -n "$PASS" | go run ./build/testenv/htpasswd -user AWS >htpasswd
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	user := flag.String("user", "AWS", "user name")
	flag.Parse()
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	pass := strings.TrimRight(line, "\r\n")
	if pass == "" {
		fmt.Fprintf(os.Stderr, "htpasswd: read the password from stdin: got none (%v)\n", err)
		os.Exit(2)
	}
	if strings.Contains(*user, ":") {
		fmt.Fprintln(os.Stderr, "htpasswd: the user name must not contain ':'")
		os.Exit(2)
	}
	// The minimum cost: docker-registry checks the hash on every request (clients send
	// Basic auth each time), and at the default cost that CPU, not the client under test,
	// bounds a benchmark. Real registries (ECR) check a token instead. Test use only.
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		fmt.Fprintf(os.Stderr, "htpasswd: bcrypt: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%s:%s\n", *user, h)
}
