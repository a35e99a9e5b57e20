// Package version carries the build's version, set with -ldflags at build time.
package version

// Version is overwritten by the Makefile (-X transferhub/cloud/version.Version=...).
var Version = "dev"
