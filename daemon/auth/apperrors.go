package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Sentinels for app-only (client credentials) failures. The typed errors
// below match them with errors.Is and carry a Remedy for the daemon's state.
var (
	// ErrInvalidCredential: Entra ID refused the app's certificate or
	// secret (AADSTS700027, AADSTS7000215, AADSTS7000222), or does not know
	// the client ID in that tenant (AADSTS700016). Matched by
	// *CredentialError.
	ErrInvalidCredential = errors.New("invalid client credential")
	// ErrCertificateExpired: the certificate's NotAfter has passed; found
	// locally, before any request. Matched by *CertificateExpiredError.
	ErrCertificateExpired = errors.New("certificate expired")
	// ErrPermissionMissing: the token lacks an application permission the
	// configuration needs. Matched by *PermissionError.
	ErrPermissionMissing = errors.New("application permission not granted")
	// ErrTenantNotFound: Entra ID knows no such tenant (AADSTS90002).
	// Matched by *TenantNotFoundError.
	ErrTenantNotFound = errors.New("tenant not found")
)

// CredentialError is Entra ID refusing the app's credential.
type CredentialError struct {
	ClientID    string
	Tenant      string
	Certificate bool   // a certificate was used (else a secret)
	Thumbprint  string // SHA-1, upper-case hex, for a certificate
	Source      string // where the credential came from
	Err         *EntraError
}

func (e *CredentialError) Error() string {
	return fmt.Sprintf("auth: invalid client credential for app %s in tenant %s: %s; %s", e.ClientID, e.Tenant, e.Err.reason(), e.Remedy())
}

// Remedy says what to fix.
func (e *CredentialError) Remedy() string {
	switch {
	case slices.Contains(e.Err.ErrorCodes, 700016):
		return fmt.Sprintf("no app with client ID %s exists in tenant %s: check graph.auth.client_id and graph.auth.tenant", e.ClientID, e.Tenant)
	case e.Certificate:
		return fmt.Sprintf("upload the certificate from %s (SHA-1 thumbprint %s) to the app registration %s → Certificates & secrets, or point certificate_file at the certificate already uploaded there",
			e.Source, e.Thumbprint, e.ClientID)
	case slices.Contains(e.Err.ErrorCodes, 7000222):
		return fmt.Sprintf("the client secret has expired: create a new one in the app registration %s → Certificates & secrets and put its Value in %s", e.ClientID, e.Source)
	}
	return fmt.Sprintf("the client secret in %s is wrong: it must be the secret's Value (not its Secret ID) from the app registration %s → Certificates & secrets", e.Source, e.ClientID)
}

func (e *CredentialError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalidCredential.
func (e *CredentialError) Is(target error) bool { return target == ErrInvalidCredential }

// CertificateExpiredError is a certificate past its NotAfter.
type CertificateExpiredError struct {
	NotAfter   time.Time
	Subject    string
	Thumbprint string
	ClientID   string
}

func (e *CertificateExpiredError) Error() string {
	return fmt.Sprintf("auth: certificate %s (thumbprint %s) expired on %s; %s", e.Subject, e.Thumbprint, e.NotAfter.UTC().Format(time.DateOnly), e.Remedy())
}

// Remedy says what to fix.
func (e *CertificateExpiredError) Remedy() string {
	return "create a new certificate, upload its public key to the app registration " + e.ClientID +
		" → Certificates & secrets, and point graph.auth.certificate_file at it"
}

// Is reports whether target is ErrCertificateExpired.
func (e *CertificateExpiredError) Is(target error) bool { return target == ErrCertificateExpired }

// PermissionError lists application permissions the app's token lacks.
type PermissionError struct {
	Missing  []string // least-privileged name of each, e.g. Presence.Read.All
	ClientID string
	Tenant   string
}

func (e *PermissionError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		parts[i] = m + " (Application)"
	}
	return "auth: " + strings.Join(parts, ", ") + " not granted: " + e.Remedy()
}

// Remedy says what to fix.
func (e *PermissionError) Remedy() string {
	return fmt.Sprintf("ask an admin to grant consent for app %s in tenant %s (Entra admin center → App registrations → API permissions → add the Microsoft Graph application permission, then Grant admin consent)",
		e.ClientID, e.Tenant)
}

// Is reports whether target is ErrPermissionMissing.
func (e *PermissionError) Is(target error) bool { return target == ErrPermissionMissing }

// TenantNotFoundError is a tenant Entra ID does not know.
type TenantNotFoundError struct {
	Tenant string
	Err    *EntraError
}

func (e *TenantNotFoundError) Error() string {
	return fmt.Sprintf("auth: tenant %q not found: %s; %s", e.Tenant, e.Err.reason(), e.Remedy())
}

// Remedy says what to fix.
func (e *TenantNotFoundError) Remedy() string {
	return "check graph.auth.tenant: use the Directory (tenant) ID from the app registration's Overview page, or a verified domain of that tenant"
}

func (e *TenantNotFoundError) Unwrap() error { return e.Err }

// Is reports whether target is ErrTenantNotFound.
func (e *TenantNotFoundError) Is(target error) bool { return target == ErrTenantNotFound }

// Remedier is an error that knows what the user should do about it. All of
// this package's app-only errors and *CacheWriteError implement it.
type Remedier interface {
	error
	Remedy() string
}

var (
	_ Remedier = (*CredentialError)(nil)
	_ Remedier = (*CertificateExpiredError)(nil)
	_ Remedier = (*PermissionError)(nil)
	_ Remedier = (*TenantNotFoundError)(nil)
	_ Remedier = (*CacheWriteError)(nil)
)
