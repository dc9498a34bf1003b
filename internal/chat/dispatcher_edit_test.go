package chat_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/feedwatch/feedwatch/internal/chat"
	"github.com/feedwatch/feedwatch/internal/news"
	"github.com/feedwatch/feedwatch/internal/store"
	"github.com/feedwatch/feedwatch/internal/store/sqlite"
)

// fakeEditor records posts and edits; an edit of a ref in gone fails with
// ErrMessageGone.
type fakeEditor struct {
	mu    sync.Mutex
	calls []string // "post TITLE -> REF", "edit REF TITLE", "send TITLE"
	posts int
	gone  map[string]bool
}

func (f *fakeEditor) Send(_ context.Context, m news.OutboxMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "send "+m.Message.Title)
	return nil
}

func (f *fakeEditor) Post(_ context.Context, m news.OutboxMessage) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts++
	ref := fmt.Sprintf("m%d", f.posts)
	f.calls = append(f.calls, "post "+m.Message.Title+" -> "+ref)
	return ref, nil
}

func (f *fakeEditor) Edit(_ context.Context, ref string, m news.OutboxMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone[ref] {
		f.calls = append(f.calls, "edit "+ref+" gone")
		return &chat.SendError{Permanent: true, Err: chat.ErrMessageGone}
	}
	f.calls = append(f.calls, "edit "+ref+" "+m.Message.Title)
	return nil
}

func TestDispatcherEditsPinnedSlots(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fw.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ed := &fakeEditor{gone: map[string]bool{}}
	plain := &fakeNotifier{}
	slot := func(m news.OutboxMessage) string {
		// Keys are "pin:SLOT|N": unique per message, one slot per deadline.
		if s, ok := strings.CutPrefix(m.Key, "pin:"); ok {
			slot, _, _ := strings.Cut(s, "|")
			return slot
		}
		return ""
	}
	d := chat.NewDispatcher(chat.DispatcherOptions{Outbox: st, Notifiers: map[string]chat.Notifier{"room": ed, "hook": plain},
		Slot: slot, Refs: st})
	queue := func(ch string, msgs ...news.OutboxMessage) {
		t.Helper()
		for i := range msgs {
			msgs[i].Channel = ch
		}
		if err := st.Update(ctx, func(tx store.Tx) error { return tx.Enqueue(msgs...) }); err != nil {
			t.Fatal(err)
		}
		if err := d.Drain(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(key, title string) news.OutboxMessage {
		return news.OutboxMessage{Key: key, Message: news.Message{Kind: news.KindReminder, Title: title}}
	}

	queue("room", msg("pin:deadline:a|1", "a in 1 day"), msg("", "an alert"), msg("pin:deadline:a|2", "a in 1 hour"),
		msg("pin:deadline:b|1", "b in 2 days"))
	ed.gone["m1"] = true // someone deleted a's countdown
	queue("room", msg("pin:deadline:a|3", "a now"))
	// A notifier that cannot edit posts each update.
	queue("hook", msg("pin:deadline:a|h1", "a in 1 day"), msg("pin:deadline:a|h2", "a in 1 hour"))

	want := []string{
		"post a in 1 day -> m1",
		"send an alert",
		"edit m1 a in 1 hour",
		"post b in 2 days -> m2",
		"edit m1 gone",
		"post a now -> m3",
	}
	if !slices.Equal(ed.calls, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(ed.calls, "\n"), strings.Join(want, "\n"))
	}
	if got := plain.delivered(); !slices.Equal(got, []string{"a in 1 day", "a in 1 hour"}) {
		t.Errorf("plain notifier got %q", got)
	}
	if ref, ok, err := st.GetMeta(ctx, chat.RefKey("room", "deadline:a")); err != nil || !ok || ref != "m3" {
		t.Errorf("kept ref = %q, %v, %v; want m3", ref, ok, err)
	}
}
