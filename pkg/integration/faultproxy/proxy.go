package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// Mode is the state of the proxy.
type Mode int

// Modes.
const (
	// Up forwards traffic.
	Up Mode = iota
	// Down closes existing connections and closes new ones at once
	// (the client sees a reset / EOF, as with a stopped server).
	Down
	// Blackholed keeps connections open but drops every byte in both
	// directions, and accepts new connections without forwarding them
	// (the client sees timeouts, as with a network partition).
	Blackholed
)

// Proxy is a TCP proxy to one target address. It is safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	mode     Mode
	conns    map[net.Conn]struct{}
	accepted int
	closed   bool
	wg       sync.WaitGroup
}

// Start listens on a free 127.0.0.1 port and forwards to target.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// New is Start for tests: it fails t on error and closes the proxy in t.Cleanup.
func New(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := Start(target)
	if err != nil {
		t.Fatalf("faultproxy: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr is the host:port clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address traffic is forwarded to.
func (p *Proxy) Target() string { return p.target }

// Mode returns the current mode.
func (p *Proxy) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Accepted returns the number of client connections accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Cut closes every existing connection and refuses new ones until Restore.
func (p *Proxy) Cut() { p.set(Down, true) }

// Blackhole silently drops all traffic until Restore; connections stay open.
func (p *Proxy) Blackhole() { p.set(Blackholed, false) }

// Restore lets traffic through again. Connections that were blackholed
// are closed (bytes were lost, their streams are unusable).
func (p *Proxy) Restore() {
	p.mu.Lock()
	was := p.mode
	p.mode = Up
	if was == Blackholed {
		p.closeConnsLocked()
	}
	p.mu.Unlock()
}

func (p *Proxy) set(m Mode, closeConns bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	if closeConns {
		p.closeConnsLocked()
	}
}

func (p *Proxy) closeConnsLocked() {
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	p.closeConnsLocked()
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		mode, closed := p.mode, p.closed
		if closed || mode == Down {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go p.handle(c, mode)
	}
}

// handle forwards one client connection.
func (p *Proxy) handle(client net.Conn, mode Mode) {
	defer p.wg.Done()
	if mode == Blackholed {
		// Accepted but never forwarded: swallow until closed.
		_, _ = io.Copy(io.Discard, client)
		p.forget(client)
		return
	}
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		p.forget(client)
		return
	}
	p.mu.Lock()
	if p.closed || p.mode == Down {
		p.mu.Unlock()
		_ = upstream.Close()
		p.forget(client)
		return
	}
	p.conns[upstream] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.pipe(upstream, client); done <- struct{}{} }()
	go func() { p.pipe(client, upstream); done <- struct{}{} }()
	<-done
	p.forget(client)
	p.forget(upstream)
	<-done
}

// pipe copies src to dst, dropping the bytes while blackholed.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && p.Mode() != Blackholed {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

func (p *Proxy) forget(c net.Conn) {
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}
