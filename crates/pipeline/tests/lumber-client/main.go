// A Lumberjack v2 peer for sluice-agent's beats input tests: Elastic's own client library
// (github.com/elastic/go-lumber), as Filebeat uses it. Sends -n events in windows of -window,
// compressed, optionally over TLS, and prints "acked N" after every window's ACK.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	v2 "github.com/elastic/go-lumber/client/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5044", "beats input address")
	n := flag.Int("n", 100, "events to send")
	window := flag.Int("window", 10, "events per window")
	ca := flag.String("ca", "", "PEM CA file: connect with TLS")
	start := flag.Int("start", 0, "first sequence number in the events")
	flag.Parse()

	dial := net.Dial
	if *ca != "" {
		pem, err := os.ReadFile(*ca)
		if err != nil {
			fail(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		dial = func(network, a string) (net.Conn, error) {
			return tls.Dial(network, a, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		}
	}
	conn, err := dial("tcp", *addr)
	if err != nil {
		fail(err)
	}
	c, err := v2.NewSyncClientWithConn(conn, v2.CompressionLevel(3), v2.Timeout(30*time.Second))
	if err != nil {
		fail(err)
	}
	sent := 0
	for sent < *n {
		batch := []interface{}{}
		for i := 0; i < *window && sent+i < *n; i++ {
			seq := *start + sent + i
			batch = append(batch, map[string]interface{}{
				"@timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
				"@metadata":  map[string]interface{}{"beat": "filebeat", "type": "_doc", "version": "8.15.0"},
				"message":    fmt.Sprintf("event %d", seq),
				"seq":        seq,
				"host":       map[string]interface{}{"name": "go-lumber"},
			})
		}
		acked, err := c.Send(batch)
		if err != nil {
			fail(err)
		}
		sent += acked
		fmt.Printf("acked %d\n", sent)
	}
	c.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "lumber-client:", err)
	os.Exit(1)
}
