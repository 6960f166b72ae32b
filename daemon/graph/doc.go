// Package graph reads presence from Microsoft Graph: the signed-in user's
// (GET /me/presence), one user's (GET /users/{id}/presence) and many users'
// in batches of at most 650 (POST /communications/getPresencesByUserId). It
// also resolves user principal names to object IDs, once per client
// (remembering unknown users for an hour), and, for offices, lists group
// members (GroupMembers) and reads free/busy (GetSchedule). With
// Options.AppOnly (tokens from the client credentials grant) it never asks
// for /me, which Graph refuses for app-only tokens.
//
// It speaks mapping's vocabulary: every response becomes a mapping.Presence,
// with availability and activity parsed case-insensitively and unknown values
// kept verbatim. HTTP facts become errors callers can branch on:
// ErrUnauthorized (401), *ForbiddenError (403, names the missing permission),
// *NotFoundError (404), *ThrottledError (429 and 503, with Retry-After),
// *TransientError (other 5xx and network failures) and ErrMalformed (a body
// that is not the documented shape).
//
// It is not a Graph SDK, does no polling, retrying or backoff (the daemon
// owns the cadence), and does not sign in: tokens come from a TokenSource.
// The bearer token never appears in its errors or logs.
package graph
