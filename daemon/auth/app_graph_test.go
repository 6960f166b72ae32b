package auth_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
)

// The whole app-only path: the real MSAL confidential client signs an
// assertion with the certificate, the fake Entra ID verifies it and issues
// a token with roles, and Graph (the fake) accepts it for named users but
// would refuse it on /me, which the client never calls.
func TestAppOnlyEndToEnd(t *testing.T) {
	t.Parallel()
	entra := entratest.New(t, entratest.Options{})
	cert := entratest.NewCertificate(t, "onair office", time.Now().Add(90*24*time.Hour))
	entra.RegisterApp(entratest.App{ClientID: appClientID, Certificates: []*x509.Certificate{cert.Cert},
		Roles: []string{auth.RolePresenceReadAll, auth.RoleGroupMemberReadAll, auth.RoleCalendarsReadBasic}})
	g := graphtest.NewServer(graphtest.Options{TLS: true, AppToken: entra.AppToken})
	t.Cleanup(g.Close)
	// A 1,500-person office plus the receptionist, watched by name.
	var office []string
	for i := 1; i <= 1501; i++ {
		g.AddUser(graphtest.ID(i), fmt.Sprintf("u%d@contoso.example", i), fmt.Sprintf("U %d", i))
		if i <= 1500 {
			office = append(office, graphtest.ID(i))
		}
	}
	g.SetPresence(graphtest.ID(2), "Busy", "InAMeeting")
	g.AddGroup(graphtest.ID(100000), "Office", office...)

	cred, err := auth.CertificateFromBytes(cert.PEM, "", "app.pem")
	if err != nil {
		t.Fatal(err)
	}
	app, err := auth.NewApp(auth.AppOptions{ClientID: appClientID, Authority: entra.URL() + "/" + entratest.TenantID,
		Credential: cred, HTTPClient: entra.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Check(t.Context(), auth.Permissions{Groups: true, Calendar: true}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	c, err := graph.New(graph.Options{BaseURL: g.URL(), Tokens: app, HTTPClient: g.Client(), AppOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	members, err := c.GroupMembers(t.Context(), "Office")
	if err != nil || len(members) != 1500 {
		t.Fatalf("GroupMembers = %d members, %v; want 1500", len(members), err)
	}
	if n := g.Requests(graphtest.EndpointGroupMembers); n != 2 {
		t.Errorf("member pages = %d, want 2", n)
	}
	ids := []string{graphtest.ID(1501)}
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	for range 3 { // three polls, one token
		ps, err := c.Users(t.Context(), ids)
		if err != nil || len(ps) != 1501 || ps[2].Availability != "Busy" {
			t.Fatalf("Users = %d presences, %v", len(ps), err)
		}
	}
	if n := g.Requests(graphtest.EndpointBatch); n != 9 {
		t.Errorf("getPresencesByUserId requests for 3 polls of 1,501 ids = %d, want 9 (3 per poll)", n)
	}
	if _, err := c.Me(t.Context()); !errors.Is(err, graph.ErrAppOnly) {
		t.Errorf("Me = %v, want ErrAppOnly", err)
	}
	if n := g.Requests(graphtest.EndpointMe); n != 0 {
		t.Errorf("/me requests = %d, want 0", n)
	}
	if n := entra.Counts().ClientCredentials; n != 1 {
		t.Errorf("token requests = %d, want 1 (MSAL caches the app token)", n)
	}
}
