package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// The pages are plain files embedded in the binary: no build step, nothing
// fetched from a CDN, and the same bytes on every install.
//
//go:embed static templates
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

func staticHandler() http.Handler {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		// Short caching: a tablet reloads little, and an upgrade's new
		// script reaches it within minutes.
		rw.Header().Set("Cache-Control", "max-age=300")
		fsrv.ServeHTTP(rw, r)
	})
}

// signPage is what the sign template renders before the script takes over.
// Every string is untrusted (names and status messages come from Graph);
// html/template escapes them for their context.
type signPage struct {
	Base    string // relative path to the root, so a reverse proxy may mount the output under a prefix
	User    string
	Name    string
	Label   string
	Message string
	Known   bool
}

func (w *Web) serveSign(rw http.ResponseWriter, r *http.Request) {
	key := r.PathValue("user")
	p := signPage{Base: "../", User: key, Name: key, Label: "Connecting…"}
	if s := w.snap.Load(); s != nil {
		if u, ok := s.User(key); ok {
			j := userOf(u)
			p.Name, p.Label, p.Message, p.Known = j.Name, j.Label, j.StatusMessage, true
		} else {
			rw.Header().Set("Cache-Control", "no-store")
			rw.WriteHeader(http.StatusNotFound)
			p.Label = "Not watched"
			p.Message = "onair does not watch this user: check the address, or add the user to graph.users"
		}
	}
	w.render(rw, "sign.html", p)
}

type boardPage struct {
	Base string
}

func (w *Web) serveBoard(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, "board.html", boardPage{Base: ""})
}

func (w *Web) render(rw http.ResponseWriter, name string, data any) {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	if rw.Header().Get("Cache-Control") == "" {
		rw.Header().Set("Cache-Control", "no-store")
	}
	if err := pages.ExecuteTemplate(rw, name, data); err != nil {
		w.log.Warn("render page", "page", name, "err", err)
	}
}
