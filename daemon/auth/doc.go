// Package auth gets access tokens for Microsoft Graph from Microsoft Entra ID
// with MSAL Go, in one of two modes.
//
// Client signs one person in (a public client: device code or system
// browser) and refreshes their tokens silently from a token cache file. A
// missing or refused sign-in is ErrLoginRequired, a state the daemon shows,
// not a crash. A cache file that cannot be written is a *CacheWriteError
// (Client.CacheWriteError) while tokens keep flowing from memory.
//
// AppClient is app-only mode for offices: a confidential client that proves
// the app's identity with a certificate (PEM or PKCS#12) or a client secret
// and gets tokens carrying the application permissions an admin granted
// (client credentials grant). AppClient.Check, for `onair login`, names any
// permission the configuration needs and the token lacks. Its failures are
// typed and carry a Remedy: *CredentialError, *CertificateExpiredError,
// *PermissionError, *TenantNotFoundError.
//
// It is not a Graph client and it knows nothing about presence, lights or the
// config file: the daemon passes in the client ID, authority, scopes,
// credential and cache path, and Graph code asks Token for a bearer token.
// It never logs a token, a secret or a private key; see Secret.
//
// The entratest subpackage is a local fake of Entra ID that the real MSAL
// clients, public and confidential, sign in against, for tests.
package auth
