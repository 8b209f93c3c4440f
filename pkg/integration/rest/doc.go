// Package rest is the REST polling connector of INTEGRATION.md §7.3: it
// requests one HTTP resource at a fixed rate through the retry loop and
// circuit breaker, uses ETag / Last-Modified conditional requests and a
// body-hash fallback so that an unchanged resource is not emitted twice,
// and turns a JSON array body into one message per element.
//
// # Redirects
//
// Redirects are not followed by default: a 3xx answer fails the poll
// permanently and the error names the Location (with user-info and query
// removed). With FollowRedirects up to 5 redirects to the same host are
// followed; a redirect to another host is reported the same way.
//
// # Example
//
//	c, err := rest.New(rest.Options{BaseURL: "https://api.example.com",
//		Endpoint: "/v1/simulation-configs", PollInterval: 30 * time.Second,
//		Headers: map[string]string{"Authorization": "Bearer " + token}})
//	...
//	err = c.Consume(ctx, out) // messages until ctx ends or Disconnect
package rest
