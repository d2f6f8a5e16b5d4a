//! The trend engine: when is a growing count a leak?
//!
//! Node's `MaxListenersExceededWarning` fires at a fixed count (10). That is wrong both ways: a
//! server may legitimately hold 500 listeners, and a leak of one listener a minute is a leak long
//! before it reaches 10. The engine looks at the *shape* of a series instead.
//!
//! A series is a leak when, over the last `window` samples, its **floor keeps rising**: the window
//! is cut into `segments` consecutive parts, and the minimum of every part is strictly greater
//! than the minimum of the part before, by at least `min_growth` from first to last part. Using
//! minima makes the rule blind to what comes back down:
//! - steady growth: every floor is higher than the last → leak;
//! - a sawtooth (a cache that fills and is cleaned within the window): the floors stay at the
//!   cleaned level → not a leak;
//! - a plateau: equal floors → not a leak;
//! - bursts that are released: the floors stay at the base → not a leak; bursts that accumulate
//!   (a staircase) raise every floor → leak.
//!
//! A series is reported once when it first qualifies, then again only when it grows markedly
//! faster: its growth rate reached `regrow_factor` times the rate of the last report. A steady
//! leak warns once, not every sample; one that speeds up is told again.

use std::collections::{HashMap, VecDeque};

use crate::CoreError;

/// Tuning of the engine. See the module docs for what each knob does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendConfig {
    /// How many of the latest samples are judged. @default 6
    pub window: usize,
    /// Into how many consecutive parts the window is cut; every part's floor must rise. @default 3
    pub segments: usize,
    /// Minimum rise of the floor from the first to the last part. @default 1
    pub min_growth: f64,
    /// A reported series is reported again once its growth rate reaches `regrow_factor` times the rate
    /// at the last report (and it is still growing). @default 2
    pub regrow_factor: f64,
    /// At most this many series are kept; the least recently observed are dropped first.
    /// @default 10000
    pub max_series: usize,
    /// When set, a window in which the series fell (from a value to any later one) by more than
    /// `max_drop` times its range is not growth: a cache that fills and is cleared, or a burst
    /// given back, even if the floors happen to rise. A leak without removals never falls.
    /// @default None (off)
    pub max_drop: Option<f64>,
}

impl Default for TrendConfig {
    fn default() -> Self {
        TrendConfig {
            window: 6,
            segments: 3,
            min_growth: 1.0,
            regrow_factor: 2.0,
            max_series: 10_000,
            max_drop: None,
        }
    }
}

impl TrendConfig {
    /// Checks the knobs; the error names the one that is out of range.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.segments < 2 {
            return Err(CoreError::InvalidArgument(format!(
                "trend segments must be >= 2, received {}",
                self.segments
            )));
        }
        if self.window < self.segments {
            return Err(CoreError::InvalidArgument(format!(
                "trend window must be >= segments ({}), received {}",
                self.segments, self.window
            )));
        }
        if !(self.min_growth.is_finite() && self.min_growth > 0.0) {
            return Err(CoreError::InvalidArgument(format!(
                "trend minGrowth must be a finite number > 0, received {}",
                self.min_growth
            )));
        }
        if !(self.regrow_factor.is_finite() && self.regrow_factor > 1.0) {
            return Err(CoreError::InvalidArgument(format!(
                "trend regrowFactor must be a finite number > 1, received {}",
                self.regrow_factor
            )));
        }
        if let Some(d) = self.max_drop {
            if !(d.is_finite() && d > 0.0) {
                return Err(CoreError::InvalidArgument(format!(
                    "trend maxDrop must be a finite number > 0, received {d}"
                )));
            }
        }
        if self.max_series == 0 {
            return Err(CoreError::InvalidArgument(
                "trend maxSeries must be >= 1, received 0".to_string(),
            ));
        }
        Ok(())
    }
}

/// Sustained growth seen in one series.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Growth {
    /// Value at the start of the judged window.
    pub from: f64,
    /// Latest value.
    pub to: f64,
    /// Growth per minute over the window, from the sample times.
    pub rate_per_minute: f64,
    /// True when this series was reported before and now grows `regrow_factor` times faster.
    pub repeat: bool,
}

/// What the engine thinks of one series right now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Fewer than `window` samples so far.
    Insufficient,
    /// Not growing in a sustained way.
    Stable,
    /// Floors rising over the whole window.
    Growing {
        from: f64,
        to: f64,
        rate_per_minute: f64,
    },
}

#[derive(Debug, Default)]
struct Series {
    samples: VecDeque<(f64, f64)>,
    /// (value, rate per minute) at the last report.
    reported_at: Option<(f64, f64)>,
    last_tick: u64,
}

/// Keeps one bounded series per key and judges them. Memory: `max_series × window` samples.
#[derive(Debug)]
pub struct TrendEngine {
    config: TrendConfig,
    series: HashMap<u64, Series>,
    tick: u64,
    /// `(tick, key)` of every push, oldest first; an entry whose series was pushed again since
    /// is stale. Evicting the least recently observed series pops from the front: O(1)
    /// amortized, where a scan of every series made 100k new keys cost seconds.
    order: VecDeque<(u64, u64)>,
}

impl TrendEngine {
    /// An engine with `config`; fails when a knob is out of range.
    pub fn new(config: TrendConfig) -> Result<Self, CoreError> {
        config.validate()?;
        Ok(TrendEngine {
            config,
            series: HashMap::new(),
            tick: 0,
            order: VecDeque::new(),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> TrendConfig {
        self.config
    }

    /// Number of series kept.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// True when no series is kept.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Records one sample of every observed series taken at `time_ms`, drops the series that were
    /// not in this batch (their emitter or collection is gone) and returns the series that are
    /// *newly* reportable: growing and never reported, or growing `regrow_factor` times faster than
    /// at their last report.
    pub fn observe_batch(&mut self, time_ms: f64, batch: &[(u64, f64)]) -> Vec<(u64, Growth)> {
        self.tick += 1;
        let tick = self.tick;
        let mut out = Vec::new();
        for &(key, value) in batch {
            if let Some(g) = self.push(key, time_ms, value, tick) {
                out.push((key, g));
            }
        }
        self.series.retain(|_, s| s.last_tick == tick);
        self.compact_order();
        out
    }

    /// Records one sample of `key` without dropping other series; returns a growth when it is
    /// newly reportable (see [`TrendEngine::observe_batch`]).
    pub fn observe(&mut self, key: u64, time_ms: f64, value: f64) -> Option<Growth> {
        self.tick += 1;
        let tick = self.tick;
        self.push(key, time_ms, value, tick)
    }

    /// Forgets one series.
    pub fn forget(&mut self, key: u64) {
        self.series.remove(&key);
    }

    /// The current verdict on `key` (`Insufficient` for an unknown key).
    pub fn verdict(&self, key: u64) -> Verdict {
        match self.series.get(&key) {
            Some(s) => judge(&self.config, &s.samples),
            None => Verdict::Insufficient,
        }
    }

    fn push(&mut self, key: u64, time_ms: f64, value: f64, tick: u64) -> Option<Growth> {
        if !value.is_finite() || !time_ms.is_finite() {
            return None;
        }
        if !self.series.contains_key(&key) && self.series.len() >= self.config.max_series {
            self.evict_oldest();
        }
        self.order.push_back((tick, key));
        if self.order.len() > 2 * self.series.len() + 64 {
            self.compact_order();
        }
        let window = self.config.window;
        let series = self.series.entry(key).or_default();
        series.last_tick = tick;
        if series.samples.len() == window {
            series.samples.pop_front();
        }
        series.samples.push_back((time_ms, value));
        match judge(&self.config, &series.samples) {
            Verdict::Growing {
                from,
                to,
                rate_per_minute,
            } => {
                let repeat = match series.reported_at {
                    None => false,
                    Some((at, rate))
                        if to > at && rate_per_minute >= rate * self.config.regrow_factor =>
                    {
                        true
                    }
                    Some(_) => return None,
                };
                series.reported_at = Some((to, rate_per_minute));
                Some(Growth {
                    from,
                    to,
                    rate_per_minute,
                    repeat,
                })
            }
            _ => None,
        }
    }

    fn evict_oldest(&mut self) {
        while let Some((tick, key)) = self.order.pop_front() {
            if self.series.get(&key).is_some_and(|s| s.last_tick == tick) {
                self.series.remove(&key);
                return;
            }
        }
    }

    /// Drops the stale entries of `order` once it holds many: one entry per live series is
    /// left, oldest first.
    fn compact_order(&mut self) {
        if self.order.len() <= 2 * self.series.len() + 64 {
            return;
        }
        let series = &self.series;
        self.order
            .retain(|(tick, key)| series.get(key).is_some_and(|s| s.last_tick == *tick));
    }
}

/// Judges one series of `(time_ms, value)` samples by the rising-floor rule.
pub fn judge(config: &TrendConfig, samples: &VecDeque<(f64, f64)>) -> Verdict {
    let n = config.window;
    if samples.len() < n {
        return Verdict::Insufficient;
    }
    let start = samples.len() - n;
    let parts = config.segments;
    let mut prev_floor = f64::NEG_INFINITY;
    let mut first_floor = 0.0;
    let mut last_floor = 0.0;
    for p in 0..parts {
        let lo = start + p * n / parts;
        let hi = start + (p + 1) * n / parts;
        let floor = samples
            .range(lo..hi)
            .map(|&(_, v)| v)
            .fold(f64::INFINITY, f64::min);
        if floor <= prev_floor {
            return Verdict::Stable;
        }
        if p == 0 {
            first_floor = floor;
        }
        last_floor = floor;
        prev_floor = floor;
    }
    if last_floor - first_floor < config.min_growth {
        return Verdict::Stable;
    }
    if let Some(max_drop) = config.max_drop {
        if largest_fall(samples.range(start..)) > max_drop * window_range(samples.range(start..)) {
            return Verdict::Stable;
        }
    }
    let (t0, from) = samples[start];
    let (t1, to) = samples[samples.len() - 1];
    let minutes = (t1 - t0) / 60_000.0;
    let rate_per_minute = if minutes > 0.0 {
        (to - from) / minutes
    } else {
        0.0
    };
    Verdict::Growing {
        from,
        to,
        rate_per_minute,
    }
}

/// The largest fall from a value to any later value (0 when the series never falls).
fn largest_fall<'a>(values: impl Iterator<Item = &'a (f64, f64)>) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut fall: f64 = 0.0;
    for &(_, v) in values {
        peak = peak.max(v);
        fall = fall.max(peak - v);
    }
    fall
}

fn window_range<'a>(values: impl Iterator<Item = &'a (f64, f64)>) -> f64 {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
        (lo.min(v), hi.max(v))
    });
    hi - lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> TrendEngine {
        TrendEngine::new(TrendConfig::default()).unwrap()
    }

    /// Feeds `values` one per 10 s and returns the indices at which a report came out.
    fn reports(values: &[f64]) -> Vec<(usize, Growth)> {
        let mut e = engine();
        values
            .iter()
            .enumerate()
            .filter_map(|(i, &v)| e.observe(7, i as f64 * 10_000.0, v).map(|g| (i, g)))
            .collect()
    }

    #[test]
    fn steady_growth_is_reported_once_then_when_it_speeds_up() {
        let mut series: Vec<f64> = (0..40).map(|i| 10.0 + i as f64).collect();
        // then three times as fast
        series.extend((1..=20).map(|i| 49.0 + 3.0 * i as f64));
        let r = reports(&series);
        // first report as soon as the window (6 samples) is full
        assert_eq!(r[0].0, 5);
        assert!(!r[0].1.repeat);
        assert_eq!(r[0].1.from, 10.0);
        assert_eq!(r[0].1.to, 15.0);
        // 5 per 50 s = 6 per minute
        assert!((r[0].1.rate_per_minute - 6.0).abs() < 1e-9);
        // a steady leak is one report; once it grows twice as fast (here 3×), one more
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[1].0 > 40, "{r:?}");
        assert!(r[1].1.repeat);
        assert!(r[1].1.rate_per_minute >= 12.0);
    }

    #[test]
    fn sawtooth_is_never_reported() {
        // a cache that grows by 10 a sample and is cleaned every 4 samples
        let series: Vec<f64> = (0..60).map(|i| ((i % 4) * 10) as f64).collect();
        assert!(reports(&series).is_empty());
    }

    #[test]
    fn a_sawtooth_with_rising_floors_is_not_growth_with_max_drop() {
        // sampled at unlucky phases, the floors of a cleared cache can rise by chance
        let series = [5.0, 80.0, 20.0, 90.0, 40.0, 95.0];
        let plain = reports(&series);
        assert!(
            !plain.is_empty(),
            "without maxDrop the rising floors look like growth"
        );
        let mut e = TrendEngine::new(TrendConfig {
            max_drop: Some(0.5),
            ..TrendConfig::default()
        })
        .unwrap();
        for (i, &v) in series.iter().enumerate() {
            assert_eq!(e.observe(1, i as f64 * 1000.0, v), None);
        }
        // a leak never falls: still reported with maxDrop
        let mut e = TrendEngine::new(TrendConfig {
            max_drop: Some(0.5),
            ..TrendConfig::default()
        })
        .unwrap();
        let found: Vec<_> = (0..8)
            .filter_map(|i| e.observe(1, i as f64 * 1000.0, 10.0 * i as f64))
            .collect();
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn plateau_is_never_reported() {
        let flat: Vec<f64> = std::iter::repeat_n(100.0, 50).collect();
        assert!(reports(&flat).is_empty());
        // a ramp that fills the window is growth, reported once; the plateau after it never is
        let mut ramp: Vec<f64> = (0..6).map(|i| i as f64 * 20.0).collect();
        ramp.extend(std::iter::repeat_n(100.0, 50));
        let r = reports(&ramp);
        assert_eq!(r.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![5]);
    }

    #[test]
    fn released_bursts_are_never_reported() {
        let series: Vec<f64> = (0..60)
            .map(|i| if i % 7 == 3 { 500.0 } else { 12.0 })
            .collect();
        assert!(reports(&series).is_empty());
    }

    #[test]
    fn accumulating_bursts_are_reported() {
        // +25 every other sample, never released: a staircase
        let series: Vec<f64> = (0..12).map(|i| ((i / 2) * 25) as f64).collect();
        let r = reports(&series);
        assert!(!r.is_empty(), "staircase growth must be a leak");
    }

    #[test]
    fn noisy_growth_with_small_dips_is_reported() {
        // grows 3 a sample with a dip of 2 every third sample: net growth, rising floors
        let mut v = 0.0;
        let series: Vec<f64> = (0..30)
            .map(|i| {
                v += if i % 3 == 2 { -2.0 } else { 3.0 };
                v
            })
            .collect();
        assert!(!reports(&series).is_empty());
    }

    #[test]
    fn growth_below_min_growth_is_stable() {
        let mut e = TrendEngine::new(TrendConfig {
            min_growth: 100.0,
            ..TrendConfig::default()
        })
        .unwrap();
        for i in 0..20 {
            assert_eq!(e.observe(1, i as f64, i as f64), None);
        }
        assert_eq!(e.verdict(1), Verdict::Stable);
    }

    #[test]
    fn insufficient_until_the_window_is_full() {
        let mut e = engine();
        for i in 0..5 {
            e.observe(1, i as f64, i as f64 * 10.0);
            assert_eq!(e.verdict(1), Verdict::Insufficient);
        }
        assert_eq!(e.verdict(99), Verdict::Insufficient);
    }

    #[test]
    fn batches_drop_series_that_disappeared() {
        let mut e = engine();
        e.observe_batch(0.0, &[(1, 1.0), (2, 1.0)]);
        e.observe_batch(1.0, &[(1, 2.0)]);
        assert_eq!(e.len(), 1);
        assert_eq!(e.verdict(2), Verdict::Insufficient);
    }

    #[test]
    fn batches_report_only_growing_series() {
        let mut e = engine();
        let mut found = Vec::new();
        for i in 0..10 {
            let t = i as f64 * 1000.0;
            found.extend(e.observe_batch(t, &[(1, i as f64), (2, 5.0), (3, (i % 2) as f64)]));
        }
        let keys: Vec<u64> = found.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec![1]);
    }

    #[test]
    fn series_count_is_bounded() {
        let mut e = TrendEngine::new(TrendConfig {
            max_series: 3,
            ..TrendConfig::default()
        })
        .unwrap();
        for k in 0..10 {
            e.observe(k, 0.0, 1.0);
        }
        assert_eq!(e.len(), 3);
        assert_eq!(e.verdict(9), Verdict::Insufficient);
        assert!(e.series.contains_key(&9) && !e.series.contains_key(&0));
    }

    #[test]
    fn eviction_drops_the_least_recently_observed_even_among_many_new_keys() {
        let mut e = TrendEngine::new(TrendConfig {
            max_series: 10_000,
            ..TrendConfig::default()
        })
        .unwrap();
        // series 0..10k, then 0..5k observed again, then 100k new keys in one batch
        let first: Vec<(u64, f64)> = (0..10_000).map(|k| (k, 1.0)).collect();
        e.observe_batch(0.0, &first);
        for k in 0..5_000 {
            e.observe(k, 1.0, 2.0);
        }
        e.observe(20_000, 2.0, 1.0); // evicts 5000, the least recently observed
        assert!(!e.series.contains_key(&5_000) && e.series.contains_key(&4_999));
        let many: Vec<(u64, f64)> = (100_000..200_000).map(|k| (k, 1.0)).collect();
        e.observe_batch(3.0, &many);
        assert_eq!(e.len(), 10_000);
        assert!(e.series.contains_key(&199_999) && !e.series.contains_key(&100_000));
        assert!(e.order.len() <= 2 * e.len() + 64);
    }

    #[test]
    fn non_finite_samples_are_ignored() {
        let mut e = engine();
        assert_eq!(e.observe(1, 0.0, f64::NAN), None);
        assert!(e.is_empty());
    }

    #[test]
    fn bad_config_is_rejected_with_the_knob_named() {
        let bad = |c: TrendConfig| TrendEngine::new(c).unwrap_err().to_string();
        let d = TrendConfig::default();
        assert!(bad(TrendConfig { segments: 1, ..d }).contains("segments"));
        assert!(bad(TrendConfig { window: 2, ..d }).contains("window"));
        assert!(bad(TrendConfig {
            min_growth: 0.0,
            ..d
        })
        .contains("minGrowth"));
        assert!(bad(TrendConfig {
            regrow_factor: 1.0,
            ..d
        })
        .contains("regrowFactor"));
        assert!(bad(TrendConfig { max_series: 0, ..d }).contains("maxSeries"));
        assert!(bad(TrendConfig {
            max_drop: Some(0.0),
            ..d
        })
        .contains("maxDrop"));
    }
}
