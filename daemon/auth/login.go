package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// LoginDeviceCode signs in with the OAuth device-code flow, which works over
// SSH and on a headless Raspberry Pi: show receives the code to enter at the
// verification URL on any other device, then LoginDeviceCode blocks until the
// user finishes, declines, the code expires (15 minutes at Entra ID) or ctx
// ends. show runs once, on the calling goroutine, before the wait; nil shows
// nothing. A successful sign-in replaces any other account in the cache.
func (c *Client) LoginDeviceCode(ctx context.Context, show func(DeviceCode)) (Account, error) {
	const op = "device code login"
	if err := c.checkCache(ctx); err != nil {
		return Account{}, err
	}
	dc, err := c.pca.AcquireTokenByDeviceCode(ctx, c.scopes)
	if err != nil {
		return Account{}, classify(ctx, op, c.scopes, err)
	}
	code := DeviceCode{
		Message:         dc.Result.Message,
		UserCode:        dc.Result.UserCode,
		VerificationURL: dc.Result.VerificationURL,
		ExpiresOn:       dc.Result.ExpiresOn,
	}
	c.logger.Info("device_code_issued", "verification_url", code.VerificationURL, "expires_on", code.ExpiresOn.UTC())
	if show != nil {
		show(code)
	}
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		// MSAL bounds the wait by the code's expiry with its own deadline.
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && !time.Now().Before(code.ExpiresOn) {
			return Account{}, &EntraError{Op: op, Code: "expired_token",
				Description: fmt.Sprintf("the code %s expired at %s before sign-in was finished; run `onair login` again",
					code.UserCode, code.ExpiresOn.Local().Format(time.Kitchen))}
		}
		return Account{}, classify(ctx, op, c.scopes, err)
	}
	return c.finishLogin(ctx, "device_code", res)
}

// BrowserOptions configures LoginBrowser.
type BrowserOptions struct {
	// OpenURL opens the sign-in page. Default: the system browser
	// (xdg-open, open, or rundll32 url.dll). Tests pass a function that
	// plays the browser; a CLI may print the URL instead.
	OpenURL func(url string) error
	// RedirectURI is the loopback address Entra ID posts the result to. MSAL
	// uses only its port; no port picks a free one. The app registration
	// needs http://localhost under "Mobile and desktop applications".
	// Default "http://localhost".
	RedirectURI string
	// LoginHint pre-fills the username on the sign-in page. Optional.
	LoginHint string
}

// LoginBrowser signs in with the system browser (authorization code flow
// with PKCE; MSAL listens on a loopback port for Entra's form_post answer).
// It blocks until the browser returns or ctx ends. A successful sign-in
// replaces any other account in the cache.
func (c *Client) LoginBrowser(ctx context.Context, opts BrowserOptions) (Account, error) {
	const op = "browser login"
	if err := c.checkCache(ctx); err != nil {
		return Account{}, err
	}
	redirect := opts.RedirectURI
	if redirect == "" {
		redirect = "http://localhost"
	}
	popts := []public.AcquireInteractiveOption{public.WithRedirectURI(redirect)}
	if opts.OpenURL != nil {
		popts = append(popts, public.WithOpenURL(opts.OpenURL))
	}
	if opts.LoginHint != "" {
		popts = append(popts, public.WithLoginHint(opts.LoginHint))
	}
	c.logger.Info("browser_login_started")
	res, err := c.pca.AcquireTokenInteractive(ctx, c.scopes, popts...)
	if err != nil {
		return Account{}, classify(ctx, op, c.scopes, err)
	}
	return c.finishLogin(ctx, "browser", res)
}

// checkCache fails early on an unreadable cache file: MSAL would otherwise
// only notice after the user approved the sign-in.
func (c *Client) checkCache(ctx context.Context) error {
	_, err := c.pca.Accounts(ctx)
	if err != nil {
		return classify(ctx, "read accounts", c.scopes, err)
	}
	return nil
}

// finishLogin keeps only the new account in the cache, so Token and Account
// never have to choose between two people.
func (c *Client) finishLogin(ctx context.Context, flow string, res public.AuthResult) (Account, error) {
	if res.Account.HomeAccountID == "" {
		return Account{}, fmt.Errorf("auth: %s login: Entra ID returned no id_token, so the sign-in cannot be remembered; check that the app registration allows the openid scope", flow)
	}
	accts, err := c.pca.Accounts(ctx)
	if err != nil {
		return Account{}, classify(ctx, "read accounts", c.scopes, err)
	}
	for _, a := range accts {
		if a.HomeAccountID == res.Account.HomeAccountID && a.Environment == res.Account.Environment && a.Realm == res.Account.Realm {
			continue
		}
		if err := c.pca.RemoveAccount(ctx, a); err != nil {
			return Account{}, classify(ctx, "remove previous account", c.scopes, err)
		}
	}
	acct := toAccount(res.Account)
	c.logger.Info("signed_in", "flow", flow, "account", acct)
	c.mu.Lock()
	c.state = stateOK
	c.mu.Unlock()
	return acct, nil
}
