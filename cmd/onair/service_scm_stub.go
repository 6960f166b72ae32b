//go:build !windows

package main

import "errors"

// The Windows service control manager exists only on Windows; install
// and uninstall refuse another OS's plan before these are reached.

var errNoSCM = errors.New("the Windows service control manager is only on Windows")

func scm(serviceSpec, string) error { return errNoSCM }

func scmInstalled() (bool, error) { return false, errNoSCM }
