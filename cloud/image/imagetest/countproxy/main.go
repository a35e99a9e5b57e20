// Command countproxy puts counting proxies in front of the two benchmark registries so
// every tool's requests can be compared in the same run: a TLS proxy (same certificate,
// HTTP/2 offered as docker-registry does) before the TLS+auth source and a plain one
// before the open destination. Clients use the proxies' addresses instead of the
// registries'. A control port takes marks:
//
//	curl -s "http://CTL/mark?name=skopeo_full&images=20"
//
// writes one JSON line to -out with what each side saw since the previous mark
// (requests by method and kind, 401 challenges, connections, protocols) and starts
// counting afresh. Benchmarks only.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"transferhub/cloud/image/imagetest"
)

func main() {
	srcTarget := flag.String("src", "", "source registry URL (https://host:port)")
	dstTarget := flag.String("dst", "", "destination registry URL (http://host:port)")
	ca := flag.String("ca-file", "", "CA of the source registry")
	cert := flag.String("cert", "", "TLS certificate for the source proxy")
	key := flag.String("key", "", "TLS key for the source proxy")
	srcAddr := flag.String("src-listen", "127.0.0.1:0", "source proxy address")
	dstAddr := flag.String("dst-listen", "127.0.0.1:0", "destination proxy address")
	ctlAddr := flag.String("ctl-listen", "127.0.0.1:0", "control address")
	out := flag.String("out", "", "JSON lines file for marks")
	reqLog := flag.String("log", "", "also append every request to this file (mark, side, method, path, status, protocol, client)")
	flag.Parse()
	if *srcTarget == "" || *dstTarget == "" || *out == "" || *cert == "" || *key == "" {
		fmt.Fprintln(os.Stderr, "countproxy: -src, -dst, -cert, -key and -out are required")
		os.Exit(2)
	}
	src, err := imagetest.NewTLSProxy(*srcTarget, *ca, *srcAddr, *cert, *key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "countproxy: source proxy:", err)
		os.Exit(1)
	}
	dst, err := imagetest.NewProxyAt(*dstTarget, "", *dstAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "countproxy: destination proxy:", err)
		os.Exit(1)
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "countproxy:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/mark", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		images, _ := strconv.Atoi(r.URL.Query().Get("images"))
		m := mark{Name: r.URL.Query().Get("name"), Images: images, Source: summarize(src.Requests()), Dest: summarize(dst.Requests())}
		if *reqLog != "" {
			writeLog(*reqLog, m.Name, src.Requests(), dst.Requests())
		}
		src.Reset()
		dst.Reset()
		b, _ := json.Marshal(m)
		_, _ = f.Write(append(b, '\n'))
		_, _ = w.Write(b)
	})
	ctl := &http.Server{Addr: *ctlAddr, Handler: mux}
	ln, err := net.Listen("tcp", *ctlAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "countproxy: control:", err)
		os.Exit(1)
	}
	go func() { _ = ctl.Serve(ln) }()
	fmt.Printf("SRC=%s DST=%s CTL=%s\n", src.Host, dst.Host, ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	src.Close()
	dst.Close()
	_ = f.Close()
}

type mark struct {
	Name   string `json:"name"`
	Images int    `json:"images"`
	Source side   `json:"source"`
	Dest   side   `json:"dest"`
}

type side struct {
	Requests    int            `json:"requests"`
	Challenges  int            `json:"challenges401"`
	Connections int            `json:"connections"`
	Protocols   map[string]int `json:"protocols"`
	Kinds       map[string]int `json:"kinds"` // "HEAD manifest-tag" -> n
	BodyBytes   int64          `json:"bodyBytes"`
}

var pathRE = regexp.MustCompile(`^/v2/(.+)/(manifests|blobs|tags|referrers)/(.*)$`)

func kind(method, path string, status int) string {
	path, _, _ = strings.Cut(path, "?")
	if path == "/v2/" || path == "/v2" {
		return method + " ping"
	}
	m := pathRE.FindStringSubmatch(path)
	if m == nil {
		return method + " other"
	}
	k := m[2]
	switch {
	case k == "manifests" && strings.HasPrefix(m[3], "sha256:"):
		k = "manifest-digest"
	case k == "manifests":
		k = "manifest-tag"
	case k == "blobs" && strings.HasPrefix(m[3], "uploads"):
		k = "upload"
	case k == "blobs":
		k = "blob"
	}
	s := method + " " + k
	switch status {
	case http.StatusNotFound:
		s += " 404"
	case 0:
		s += " (no answer: client gone)"
	}
	return s
}

func summarize(reqs []imagetest.Request) side {
	s := side{Protocols: map[string]int{}, Kinds: map[string]int{}}
	conns := map[string]bool{}
	for _, r := range reqs {
		s.Requests++
		conns[r.Remote] = true
		s.Protocols[r.Proto]++
		s.BodyBytes += r.Bytes
		if r.Status == http.StatusUnauthorized {
			s.Challenges++
			s.Kinds[r.Method+" 401"]++
			continue
		}
		s.Kinds[kind(r.Method, r.Path, r.Status)]++
	}
	s.Connections = len(conns)
	return s
}

func writeLog(file, name string, src, dst []imagetest.Request) {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "countproxy:", err)
		return
	}
	defer f.Close()
	for side, reqs := range map[string][]imagetest.Request{"src": src, "dst": dst} {
		for _, r := range reqs {
			fmt.Fprintf(f, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", name, side, r.Start.Format("15:04:05.000"), r.Method, r.Status, r.Path, r.Proto, r.Remote)
		}
	}
}
