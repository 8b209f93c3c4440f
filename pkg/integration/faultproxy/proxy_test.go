package faultproxy

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

const redisAddr = "127.0.0.1:6379"

// ping sends a Redis inline PING over conn and reads the reply.
func ping(conn net.Conn, timeout time.Duration) (string, error) {
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func dialPing(t *testing.T, addr string) (net.Conn, string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, "", err
	}
	reply, err := ping(conn, time.Second)
	return conn, reply, err
}

func TestCutAndRestoreAgainstRedis(t *testing.T) {
	p := New(t, redisAddr)
	conn, reply, err := dialPing(t, p.Addr())
	if err != nil || reply != "+PONG" {
		t.Fatalf("through the proxy: %q %v", reply, err)
	}
	p.Cut()
	if p.Mode() != Down {
		t.Fatal(p.Mode())
	}
	if _, err := ping(conn, time.Second); err == nil {
		t.Fatal("existing connection survived Cut")
	}
	conn.Close()
	if c, reply, err := dialPing(t, p.Addr()); err == nil {
		c.Close()
		t.Fatalf("new connection worked while cut: %q", reply)
	}
	p.Restore()
	c, reply, err := dialPing(t, p.Addr())
	if err != nil || reply != "+PONG" {
		t.Fatalf("after Restore: %q %v", reply, err)
	}
	c.Close()
	if p.Accepted() != 3 || p.Target() != redisAddr {
		t.Fatalf("accepted %d", p.Accepted())
	}
}

func TestBlackhole(t *testing.T) {
	p := New(t, redisAddr)
	conn, _, err := dialPing(t, p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p.Blackhole()
	_, err = ping(conn, 100*time.Millisecond)
	var ne net.Error
	if err == nil || !asNetErr(err, &ne) || !ne.Timeout() {
		t.Fatalf("blackholed connection must time out, got %v", err)
	}
	fresh, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		t.Fatal("blackhole accepts connections")
	}
	if _, err := ping(fresh, 100*time.Millisecond); err == nil {
		t.Fatal("fresh blackholed connection answered")
	}
	fresh.Close()
	p.Restore()
	c, reply, err := dialPing(t, p.Addr())
	if err != nil || reply != "+PONG" {
		t.Fatalf("after Restore: %q %v", reply, err)
	}
	c.Close()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal("second Close")
	}
}

func asNetErr(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}
