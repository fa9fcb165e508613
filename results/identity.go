package results

import (
	"strconv"
	"strings"

	"github.com/trainbench/trainbench/machine"
)

// identityKeys are the configuration keys that tell one machine from
// another, in the order Identity.String names them: the label, the CPU's
// brand, vendor, family and model, and the cores and logical CPUs the runs
// could use. Results whose values of these keys differ were measured on
// different machines and are never pooled; the ceilings, caches and build are
// facts about a machine, not what names it.
var identityKeys = [...]string{KeyLabel, machine.KeyCPU, machine.KeyVendor, machine.KeyFamily, machine.KeyModel,
	machine.KeyCores, machine.KeyLogical}

// IdentityKeys returns the configuration keys that identify a machine (see
// Identity).
func IdentityKeys() []string { return identityKeys[:] }

// Identity is the machine a result was measured on, as its configuration
// lines tell it: the values of IdentityKeys ("" for a key not given). Two
// results come from the same machine exactly when their identities are
// equal, so a go test file (cpu only) and a benchrun file (label, cores...)
// of one box are two machines: the files cannot prove otherwise. Identity is
// comparable and can key a map.
type Identity struct {
	values [len(identityKeys)]string
}

// IdentityOf returns the identity in the configuration lines config.
func IdentityOf(config []KeyValue) Identity {
	var id Identity
	for i, k := range identityKeys {
		id.values[i] = lookup(config, k)
	}
	return id
}

// Machine returns the identity of the machine r was measured on.
func (r Result) Machine() Identity { return IdentityOf(r.Config) }

// Get returns the identity's value of key (one of IdentityKeys), or "".
func (id Identity) Get(key string) string {
	for i, k := range identityKeys {
		if k == key {
			return id.values[i]
		}
	}
	return ""
}

// Lines returns the identity's configuration lines, those given, in
// IdentityKeys order.
func (id Identity) Lines() []KeyValue {
	var kv []KeyValue
	for i, k := range identityKeys {
		if id.values[i] != "" {
			kv = append(kv, KeyValue{Key: k, Value: id.values[i]})
		}
	}
	return kv
}

// String returns every line of the identity as "key=value", space-separated
// ("" for a result without any): distinct identities give distinct strings.
func (id Identity) String() string {
	var parts []string
	for _, kv := range id.Lines() {
		parts = append(parts, kv.Key+"="+kv.Value)
	}
	return strings.Join(parts, " ")
}

// Machines returns the distinct identities of rs in order of first
// appearance.
func Machines(rs []Result) []Identity {
	var ids []Identity
	seen := map[Identity]bool{}
	for _, r := range rs {
		if id := r.Machine(); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// MachineNames returns a short name for each of ids, distinct when the ids
// are: the CPU brand when that tells them all apart (so a single machine is
// named as its CPU), else the label, else both, else every identity line;
// a name that still repeats gets " #2", " #3"... A machine without any
// identity line is "unknown machine".
func MachineNames(ids []Identity) []string {
	cpu := func(id Identity) string { return id.Get(machine.KeyCPU) }
	label := func(id Identity) string { return id.Get(KeyLabel) }
	both := func(id Identity) string {
		switch l, c := label(id), cpu(id); {
		case l != "" && c != "":
			return l + " (" + c + ")"
		case l != "":
			return l
		}
		return cpu(id)
	}
	full := func(id Identity) string {
		if s := id.String(); s != "" {
			return s
		}
		return "unknown machine"
	}
	for _, name := range []func(Identity) string{cpu, label, both, full} {
		names := make([]string, len(ids))
		seen := map[string]bool{}
		ok := true
		for i, id := range ids {
			names[i] = name(id)
			ok = ok && names[i] != "" && !seen[names[i]]
			seen[names[i]] = true
		}
		if ok {
			return names
		}
	}
	names := make([]string, len(ids))
	count := map[string]int{}
	for i, id := range ids {
		names[i] = full(id)
		count[names[i]]++
		if n := count[names[i]]; n > 1 {
			names[i] += " #" + strconv.Itoa(n)
		}
	}
	return names
}
