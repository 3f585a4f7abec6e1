package tlsconn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// ErrNoCertificate is returned by ServerConfig when neither certificate
// files nor self-signed generation are configured.
var ErrNoCertificate = errors.New("tlsconn: no certificate: set cert and key files or self_signed")

// Options says where the server certificate comes from.
type Options struct {
	CertFile, KeyFile string // PEM files; both or neither
	SelfSigned        bool   // generate a self-signed pair when no files are given
}

// ServerConfig returns a server tls.Config for o: TLS 1.3 preferred, 1.2
// minimum, no client authentication.
func ServerConfig(o Options) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	switch {
	case o.CertFile != "" || o.KeyFile != "":
		cert, err = tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tlsconn: load %s, %s: %w", o.CertFile, o.KeyFile, err)
		}
	case o.SelfSigned:
		cert, err = SelfSigned()
		if err != nil {
			return nil, err
		}
	default:
		return nil, ErrNoCertificate
	}
	return NewServerConfig(cert), nil
}

// NewServerConfig returns a server tls.Config serving cert. TLS 1.3 is
// offered first (Go negotiates the highest common version); 1.2 is the
// floor. Dynamic record sizing is off because the writer already batches:
// full-size records mean fewer syscalls per batch.
func NewServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates:                []tls.Certificate{cert},
		MinVersion:                  tls.VersionTLS12,
		MaxVersion:                  tls.VersionTLS13,
		DynamicRecordSizingDisabled: true,
	}
}

// SelfSigned generates an ECDSA P-256 certificate valid for one year for
// localhost, 127.0.0.1 and ::1. Leaf is set, so ClientConfig can trust it.
func SelfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsconn: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsconn: serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "shoal self-signed"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsconn: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tlsconn: parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// ClientConfig returns a client tls.Config that trusts exactly cert's leaf
// (a self-signed server certificate) and requires TLS 1.2 or later.
func ClientConfig(cert tls.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	if cert.Leaf != nil {
		pool.AddCert(cert.Leaf)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}
