//! The trend engine, as a class JavaScript feeds one batch per sample.

use leakguard_core::trend::{self, TrendConfig};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::throw_range_error;

/// Options of `TrendEngine`. See the README's "trend engine" section.
#[napi(object)]
pub struct TrendOptions {
    /// How many of the latest samples are judged. @default 6
    pub window: Option<u32>,
    /// Into how many consecutive parts the window is cut; each part's minimum must rise. @default 3
    pub segments: Option<u32>,
    /// Minimum rise of the floor across the window. @default 1
    pub min_growth: Option<f64>,
    /// Report again once the value reached this factor of the last reported value. @default 2
    pub regrow_factor: Option<f64>,
    /// At most this many series are kept. @default 10000
    pub max_series: Option<u32>,
    /// A window in which the series fell by more than `maxDrop` times its range is not growth
    /// (a cache cleared, a burst given back). @default undefined (off)
    pub max_drop: Option<f64>,
}

/// Sustained growth of one series, as returned by `observe`.
#[napi(object)]
pub struct TrendGrowth {
    /// The key passed in the batch.
    pub key: u32,
    /// Value at the start of the judged window.
    pub from: f64,
    /// Latest value.
    pub to: f64,
    /// Growth per minute over the window.
    pub rate_per_minute: f64,
    /// True when reported before and grown by `regrowFactor` since.
    pub repeat: bool,
}

/// Decides when a series of counts is a leak: sustained growth (rising floors over a window),
/// not bursts, plateaus or a sawtooth. Keeps bounded memory.
#[napi(js_name = "TrendEngine")]
pub struct JsTrendEngine {
    inner: trend::TrendEngine,
}

#[napi]
impl JsTrendEngine {
    /// A new engine; a knob out of range is a `RangeError` (`ERR_OUT_OF_RANGE`) naming it.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, options: Option<TrendOptions>) -> Result<Self> {
        let d = TrendConfig::default();
        let config = match options {
            None => d,
            Some(o) => TrendConfig {
                window: o.window.map_or(d.window, |v| v as usize),
                segments: o.segments.map_or(d.segments, |v| v as usize),
                min_growth: o.min_growth.unwrap_or(d.min_growth),
                regrow_factor: o.regrow_factor.unwrap_or(d.regrow_factor),
                max_series: o.max_series.map_or(d.max_series, |v| v as usize),
                max_drop: o.max_drop,
            },
        };
        let inner = trend::TrendEngine::new(config)
            .map_err(|e| throw_range_error(&env, &e.to_string(), "ERR_OUT_OF_RANGE"))?;
        Ok(JsTrendEngine { inner })
    }

    /// Records one sample of every live series (`keys[i]` has `values[i]`) taken at `timeMs`,
    /// forgets series absent from the batch, and returns those newly reportable.
    #[napi(catch_unwind)]
    pub fn observe(
        &mut self,
        time_ms: f64,
        keys: Uint32Array,
        values: Float64Array,
    ) -> Result<Vec<TrendGrowth>> {
        if keys.len() != values.len() {
            return Err(Error::new(
                Status::InvalidArg,
                format!(
                    "keys and values must have the same length, received {} and {}",
                    keys.len(),
                    values.len()
                ),
            ));
        }
        let batch: Vec<(u64, f64)> = keys
            .iter()
            .zip(values.iter())
            .map(|(&k, &v)| (u64::from(k), v))
            .collect();
        Ok(self
            .inner
            .observe_batch(time_ms, &batch)
            .into_iter()
            .map(|(key, g)| TrendGrowth {
                key: key as u32,
                from: g.from,
                to: g.to,
                rate_per_minute: g.rate_per_minute,
                repeat: g.repeat,
            })
            .collect())
    }

    /// Number of series kept.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.inner.len() as u32
    }
}
