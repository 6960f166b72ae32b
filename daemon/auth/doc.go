// Package auth signs one person in to Microsoft Entra ID with MSAL Go (a
// public client: device code or system browser) and hands out access tokens
// for Microsoft Graph, refreshing them silently from a token cache file.
//
// It is not a Graph client and it knows nothing about presence, lights or the
// config file: the daemon passes in the client ID, authority, scopes and cache
// path, and Graph code asks Token for a bearer token. It never logs a token;
// see Secret. A missing or refused sign-in is ErrLoginRequired, a state the
// daemon shows, not a crash.
//
// The entratest subpackage is a local fake of Entra ID that the real MSAL
// client signs in against, for tests.
package auth
