package graph_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
)

// A daemon test wires the fake Graph like this; a real auth client can take
// the place of staticTokens.
func Example() {
	srv := graphtest.NewServer(graphtest.Options{})
	defer srv.Close()
	me, bob := graphtest.ID(1), graphtest.ID(2)
	srv.AddUser(me, "adele@contoso.com", "Adele Vance") // the first user is "me"
	srv.AddUser(bob, "bob@contoso.com", "Bob Smith")
	srv.SetPresence(me, "Busy", "InAMeeting")
	srv.SetPresence(bob, "doNotDisturb", "presenting")

	c, err := graph.New(graph.Options{BaseURL: srv.URL(), Tokens: staticTokens{token: "t"}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	p, _ := c.Me(ctx)
	fmt.Println(p.User, p.Availability, p.Activity)

	id, _ := c.ResolveUser(ctx, "bob@contoso.com")
	ps, _ := c.Users(ctx, []string{id})
	fmt.Println(ps[0].User == bob, ps[0].Availability, ps[0].Activity)

	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Throttle, RetryAfter: "7"})
	_, err = c.Me(ctx)
	if te, ok := errors.AsType[*graph.ThrottledError](err); ok {
		fmt.Println("throttled, retry after", te.RetryAfter)
	}
	fmt.Println(srv.Requests(graphtest.EndpointMe), "requests to", graphtest.EndpointMe)
	// Output:
	// me Busy InAMeeting
	// true DoNotDisturb Presenting
	// throttled, retry after 7s
	// 2 requests to /me/presence
}
