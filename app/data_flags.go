package main

import (
	"flag"

	"github.com/carrel-ai/carrel/engine"
)

// dataFlag defines --data, the data folder, on fs.
func dataFlag(fs *flag.FlagSet) *string {
	p := new(string)
	dataFlagVar(fs, p)
	return p
}

func dataFlagVar(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "data", "", "data `folder` (default: the user data folder, or $CARREL_HOME)")
}

// dataDir is the folder --data names, or the default data folder.
func dataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	return engine.DefaultDataDir()
}
