package postgres

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ruqi/ruqi/internal/store"
)

// cacheChannel carries the keys of changed directory records and access
// tokens, sent by the triggers of migration 00008 at commit.
const cacheChannel = "ruqi_cache"

// Watch listens on its own connection for the changes every replica
// commits to the records the read cache holds. Each (re)connection is
// reported as a Change with no Kind (changes may have been missed while
// not listening), then ready once LISTEN is in place.
func (s *Store) Watch(ctx context.Context, ready func(), changed func(store.Change)) error {
	conf := s.seqConf.Copy()
	conf.RuntimeParams["application_name"] = appName("ruqi cache " + instanceID())
	down := false
	for ctx.Err() == nil {
		err := s.listen(ctx, conf, ready, changed)
		changed(store.Change{})
		if ctx.Err() != nil {
			break
		}
		if !down {
			slog.Warn("read cache: lost the database's notifications, reading through until back", "err", err, "database", s.where)
			down = true
		}
		sleep(ctx, s.o.SequenceInterval)
	}
	return nil
}

func (s *Store) listen(ctx context.Context, conf *pgx.ConnConfig, ready func(), changed func(store.Change)) error {
	conn, err := pgx.ConnectConfig(ctx, conf)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+cacheChannel); err != nil {
		return err
	}
	// Whatever changed before LISTEN took effect was missed.
	changed(store.Change{})
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		changed(parseChange(n.Payload))
	}
}

// parseChange reads "table key"; an access token's key is its hash, which
// to_jsonb writes as \x and hex digits. What cannot be read is reported as
// a Change with no Kind: forget everything rather than keep a stale record.
func parseChange(payload string) store.Change {
	table, key, ok := strings.Cut(payload, " ")
	if !ok {
		return store.Change{}
	}
	c := store.Change{Kind: store.Kind(table), Key: key}
	switch c.Kind {
	case store.KindAgency, store.KindOfficer, store.KindEnterprise, store.KindCheckItem:
		return c
	case store.KindAccessToken:
		b, err := hex.DecodeString(strings.TrimPrefix(key, `\x`))
		if err != nil {
			return store.Change{}
		}
		c.Key = string(b)
		return c
	}
	return store.Change{}
}
