package kafka

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/polltest"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka/kafkatest"
	"github.com/mfn-io/mfn-operator/pkg/status"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestTLS: the TLS option reaches every connection (probe, group,
// fetch); a client that does not
// trust the broker's certificate fails Connect.
func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	cl := kafkatest.NewClusterWith(t, []kfake.Opt{kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert},
		MinVersion: tls.VersionTLS12})}, kafkatest.Topic{Name: "in"})
	o := fastGroup(ConnectorOptions{BootstrapServers: Servers{cl.Bootstrap()}, Topic: "in", GroupID: "g",
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	c, err := NewConnector(o)
	if err != nil {
		t.Fatal(err)
	}
	dialer := &kafkago.Dialer{Timeout: 5 * time.Second, TLS: o.TLS}
	conn, err := dialer.DialLeader(t.Context(), "tcp", cl.Addrs()[0], "in", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteMessages(kafkago.Message{Value: []byte(`{"grid_size": 8}`)}); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	r := &running{Consumer: polltest.Start(t, c, nil), c: c}
	if m := r.next(t); m.Position != "in/0/0" {
		t.Fatalf("over TLS got %s", m.Position)
	}
	_ = c.Disconnect(t.Context())

	o.TLS = &tls.Config{MinVersion: tls.VersionTLS12} // system roots: the self-signed broker is not trusted
	o.Config.RetryStrategy = integration.RetryNone
	c, err = NewConnector(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(t.Context()); err == nil {
		t.Fatal("Connect to an untrusted broker succeeded")
	}
	if s := c.Snapshot(); s.Status != status.ComponentError || s.Connector.ConnectionErrors != 1 {
		t.Fatalf("status %q metrics %+v", s.Status, s.Connector)
	}
}
