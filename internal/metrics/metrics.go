// Package metrics defines feedwatch's Prometheus metrics on a registry of its
// own, so tests and several instances in one process do not collide.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the counters and gauges feedwatch exports.
type Metrics struct {
	Registry       *prometheus.Registry
	Polls          *prometheus.CounterVec // by result: ok, not_modified, error
	PollErrors     *prometheus.CounterVec // by feed
	Items          *prometheus.CounterVec // new items stored, by feed
	Matches        *prometheus.CounterVec // by topic
	MessagesQueued *prometheus.CounterVec // by channel
	MessagesSent   *prometheus.CounterVec // by channel
	MessagesFailed *prometheus.CounterVec // by channel and kind: retry, permanent
}

// New registers feedwatch's metrics, plus Go and process collectors, on a
// fresh registry. depth reports the outbox depth when scraped.
func New(depth func(ctx context.Context) (int, error)) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedwatch_polls_total", Help: "Feed polls, by result (ok, not_modified, error).",
		}, []string{"result"}),
		PollErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedwatch_poll_errors_total", Help: "Failed feed polls, by feed.",
		}, []string{"feed"}),
		Items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedwatch_items_total", Help: "New items stored, by feed.",
		}, []string{"feed"}),
		Matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedwatch_matches_total", Help: "Items matched, by topic.",
		}, []string{"topic"}),
		MessagesQueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedwatch_messages_queued_total", Help: "Messages put in the outbox, by channel.",
		}, []string{"channel"}),
		MessagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedwatch_messages_sent_total", Help: "Messages sent to chat, by channel.",
		}, []string{"channel"}),
		MessagesFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedwatch_messages_failed_total", Help: "Failed send attempts, by channel and kind (retry, permanent).",
		}, []string{"channel", "kind"}),
	}
	depthGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "feedwatch_queue_depth", Help: "Messages waiting in the outbox (queue depth).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.Registry.MustRegister(m.Polls, m.PollErrors, m.Items, m.Matches, m.MessagesQueued, m.MessagesSent, m.MessagesFailed, depthGauge,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
