package node

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
)

// EnvPrefix starts every environment variable Herald reads:
// HERALD_REDIS_ADDR sets redis.addr.
const EnvPrefix = "HERALD_"

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("config")

// Sources are where configuration comes from, each overriding the last.
type Sources struct {
	// File is a YAML file; empty means none.
	File string
	// Env is the environment as KEY=VALUE pairs; only HERALD_ ones count.
	Env []string
	// Flags maps config keys to values given on the command line.
	Flags map[string]string
}

// LoadConfig reads the defaults, then the file, then the environment, then
// the flags, refuses unknown keys and wrong types, and validates the result.
func LoadConfig(src Sources) (Config, error) {
	k := koanf.New(".")
	if src.File != "" {
		if err := k.Load(file.Provider(src.File), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("%w: read %s: %w", ErrConfig, src.File, err)
		}
	}
	known := keyTypes(reflect.TypeOf(Config{}), "")
	if err := checkKeys(k, known, src.File); err != nil {
		return Config{}, err
	}
	if err := loadEnv(k, known, src.Env); err != nil {
		return Config{}, err
	}
	for key, v := range src.Flags {
		if err := setString(k, known, key, v, "flag for "+key); err != nil {
			return Config{}, err
		}
	}
	cfg := defaultsFor(k)
	if err := decode(k, &cfg); err != nil {
		return Config{}, err
	}
	if err := cfg.findRaftSelf(k.Exists("node.id")); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return cfg, nil
}

// keyTypes maps every config key, as a user writes it, to its Go type.
func keyTypes(t reflect.Type, prefix string) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("koanf")
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Time{}) {
			for k, v := range keyTypes(f.Type, key+".") {
				out[k] = v
			}
			continue
		}
		out[key] = f.Type
	}
	return out
}

// checkKeys refuses keys in the file that Herald does not know.
func checkKeys(k *koanf.Koanf, known map[string]reflect.Type, file string) error {
	var unknown []string
	for _, key := range k.Keys() {
		if _, ok := known[key]; !ok {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("%w: %s: unknown key %s", ErrConfig, file, strings.Join(unknown, ", "))
}

// loadEnv sets the keys named by HERALD_ variables. A variable is matched
// to a known key by its name (dots and underscores alike), so that
// HERALD_WORKER_CHAT_CONCURRENCY finds worker.chat_concurrency. A variable
// that starts like a section (HERALD_REDIS_...) but names no key is a typo
// and refused; other HERALD_ variables belong to someone else and are
// left alone.
func loadEnv(k *koanf.Koanf, known map[string]reflect.Type, env []string) error {
	byEnv := map[string]string{}
	sections := map[string]bool{}
	for key := range known {
		byEnv[EnvPrefix+strings.ToUpper(strings.NewReplacer(".", "_").Replace(key))] = key
		section, _, _ := strings.Cut(key, ".")
		sections[EnvPrefix+strings.ToUpper(section)+"_"] = true
	}
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		key, ok := byEnv[name]
		if !ok && inSection(name, sections) {
			return fmt.Errorf("%w: environment variable %s names no config key", ErrConfig, name)
		}
		if !ok {
			continue
		}
		if err := setString(k, known, key, val, name); err != nil {
			return err
		}
	}
	return nil
}

// inSection reports whether an environment variable's name starts like
// one of the config's sections.
func inSection(name string, sections map[string]bool) bool {
	for prefix := range sections {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// setString sets key from a string given by origin (a variable or a flag),
// converted to the key's type.
func setString(k *koanf.Koanf, known map[string]reflect.Type, key, val, origin string) error {
	t, ok := known[key]
	if !ok {
		return fmt.Errorf("%w: %s: unknown key %s", ErrConfig, origin, key)
	}
	v, err := convert(t, val)
	if err != nil {
		return fmt.Errorf("%w: %s (%s): %w", ErrConfig, key, origin, err)
	}
	return k.Set(key, v)
}

// convert turns a string into a value of type t.
func convert(t reflect.Type, s string) (any, error) {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		if _, err := time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("%q is not a duration: write it with a unit, such as 5s "+
				"or 500ms", s)
		}
		return s, nil
	case t.Kind() == reflect.String:
		return s, nil
	case t.Kind() == reflect.Bool:
		return strconv.ParseBool(s)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return strconv.ParseInt(s, 10, 64)
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return strconv.ParseUint(s, 10, 64)
	case t.Kind() == reflect.Float64:
		return strconv.ParseFloat(s, 64)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		if s == "" {
			return []string{}, nil
		}
		parts := strings.Split(s, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	}
	return nil, fmt.Errorf("cannot be set from a string (type %s)", t)
}

// decode unmarshals k onto cfg, which holds the defaults, refusing wrong
// types: a duration must be written with its unit ("5s"), never a bare
// number.
func decode(k *koanf.Koanf, cfg *Config) error {
	dc := &mapstructure.DecoderConfig{
		DecodeHook:  mapstructure.ComposeDecodeHookFunc(durationHook),
		ErrorUnused: true,
		Result:      cfg,
		TagName:     "koanf",
	}
	if err := k.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{Tag: "koanf",
		DecoderConfig: dc}); err != nil {
		return fmt.Errorf("%w: %s", ErrConfig, decodeMessage(err))
	}
	return nil
}

// decodeMessage turns the decoder's error into one line per problem,
// without the decoder's own preamble.
func decodeMessage(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "error(s):"); ok {
		msg = rest
	}
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

// durationHook parses durations from strings and refuses other types.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(time.Duration(0)) {
		return data, nil
	}
	s, ok := data.(string)
	if !ok {
		return nil, fmt.Errorf("%v is not a duration: write it with a unit, such as 5s or 500ms",
			data)
	}
	return time.ParseDuration(s)
}
