//! A simulated town or district: real [`Tracer`](proxtrace::tracer::Tracer)s on a virtual
//! clock, scored against ground truth for everyone, app or not.
//!
//! People live in households and go to school, work, offices, markets and buses
//! ([`population`], [`mobility`]). Those whose phone runs the app ([`adoption`]) carry a real
//! tracer, driven exactly as an app's run loop drives it: the simulator wakes each phone at
//! the time its own `Output::Timeout` asks for, broadcasts what its `Output::Advertise` says,
//! and lets it listen while its `Output::Scan` says so. What a scanning phone hears comes
//! from a radio model refitted to real phones ([`radio`]), as raw advertisement bytes through
//! `Input::Received` — or, from an iPhone running Bluezone, a GATT read after the tracer's
//! `NeedsGattRead`. On the last day some people test positive: those with the app publish
//! their keys in a signed export file (GAEN) or an F0 payload (Bluezone), every other phone
//! parses and matches, and the result is compared with ground truth: who was within 2 m of a
//! positive person for at least 15 minutes on one day.
//!
//! ```
//! use proxtrace_cli::sim::{SimConfig, run};
//! let report = run(&SimConfig { people: 20, days: 1, ..SimConfig::default() }, &mut |_, _| {})?;
//! assert!(report.scan_instances > 0 && report.published_keys > 0);
//! # Ok::<(), proxtrace_cli::sim::SimError>(())
//! ```

pub mod adoption;
mod config;
mod driver;
pub mod mobility;
mod phone;
pub mod plot;
pub mod population;
mod publish;
pub mod radio;
mod relay;
mod report;
mod scoring;
mod truth;

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand::seq::SliceRandom;

use proxtrace::tracer::TracerError;

pub use config::{
    DEFAULT_START_DAY, MAX_DAYS, MAX_PEOPLE, MAX_PHONE_DAYS, MAX_RELAY_DELAY_SECS, MAX_SWEEP_RATES,
    PlaceRef, Relay, SchemeMix, SimConfig,
};
pub use population::Kind;
pub use report::{RelayReport, SimReport, SweepReport, SweepRow, Timings};
pub use scoring::{PairType, scoring};

use adoption::Adoption;
use driver::{Setup, World};
use phone::PhoneKind;
use population::{PlaceId, Town};
use scoring::{Evaluation, evaluate, matcher};

/// Close contact for the ground truth: within this distance…
pub const CLOSE_CONTACT_METRES: f32 = 2.0;
/// … for at least this long on one day.
pub const CLOSE_CONTACT_SECS: u32 = 15 * 60;

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Parameters that cannot work.
    #[error("invalid simulation parameters: {0}")]
    Config(String),
    /// A tracer failed (a bug: the simulation feeds only valid input).
    #[error("a simulated phone failed: {0}")]
    Tracer(#[from] TracerError),
    /// Publishing or reading back the positives' keys failed.
    #[error("publishing diagnosis keys failed: {0}")]
    Publish(String),
}

/// The town, who adopts, who tests positive, and every person's phone.
struct Context {
    town: Town,
    adoption: Adoption,
    positive: Vec<bool>,
    positives: Vec<u32>,
    kinds: Vec<PhoneKind>,
}

impl Context {
    fn new(config: &SimConfig) -> Self {
        let n = config.people;
        let town = Town::new(n, config.seed);
        let adoption = Adoption::new(&town, config);
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.shuffle(&mut ChaCha20Rng::seed_from_u64(config.seed));
        let k = ((n as f64 * config.positive_fraction).round() as usize).clamp(1, n - 1);
        let mut positives = order[..k].to_vec();
        positives.sort_unstable();
        let mut positive = vec![false; n];
        for &p in &positives {
            positive[p as usize] = true;
        }
        let kinds = (0..n).map(|i| adoption::phone_kind(config, i)).collect();
        Self {
            town,
            adoption,
            positive,
            positives,
            kinds,
        }
    }

    fn place(&self, r: PlaceRef) -> Result<PlaceId, SimError> {
        self.town.find(r.kind, r.index).ok_or_else(|| {
            SimError::Config(format!(
                "--relay: there is no {r} in this town ({} places of kind {}, numbered from 0)",
                self.town.count(r.kind),
                r.kind.name()
            ))
        })
    }

    fn simulate(
        &self,
        config: &SimConfig,
        has_phone: &[bool],
        relay: Option<(PlaceId, PlaceId, u32)>,
        tick: &mut dyn FnMut(),
    ) -> Result<World, SimError> {
        let setup = Setup {
            config,
            town: &self.town,
            positives: &self.positives,
            has_phone,
            kinds: &self.kinds,
            relay,
        };
        driver::simulate(&setup, tick)
    }

    fn evaluate(
        &self,
        world: &World,
        rate: &adoption::Rate,
        matcher: &proxtrace::matching::Matcher,
    ) -> Result<Evaluation, SimError> {
        let active = |i: usize| self.adoption.has_app(rate, i);
        evaluate(world, &self.positive, &self.kinds, &active, matcher)
    }
}

fn minutes(config: &SimConfig) -> u64 {
    u64::from(config.days) * 1440
}

/// Run a simulation (twice with a relay: without and with it). `progress(done, total)` is
/// called once per simulated minute.
pub fn run(config: &SimConfig, progress: &mut dyn FnMut(u64, u64)) -> Result<SimReport, SimError> {
    config.validate()?;
    let ctx = Context::new(config);
    let relay = match config.relay {
        Some(r) => Some((ctx.place(r.from)?, ctx.place(r.to)?, r.delay_secs)),
        None => None,
    };
    let rate = ctx.adoption.rate(config.adoption);
    let has_phone: Vec<bool> = (0..config.people)
        .map(|i| ctx.adoption.has_app(&rate, i))
        .collect();
    let total = minutes(config) * if relay.is_some() { 2 } else { 1 };
    let mut done = 0;
    let mut tick = || {
        done += 1;
        progress(done, total);
    };
    let clock = std::time::Instant::now();
    let base = ctx.simulate(config, &has_phone, None, &mut tick)?;
    let mut timings = Timings {
        simulate: clock.elapsed().as_secs_f64(),
        matching: 0.0,
    };
    let clock = std::time::Instant::now();
    let default = matcher(scoring(), config.seed)?;
    let strict = matcher(scoring().with_strict_windows(), config.seed)?;
    let main = if config.strict_windows {
        &strict
    } else {
        &default
    };
    let e = ctx.evaluate(&base, &rate, main)?;
    let mut r = SimReport::new(
        config,
        &ctx.town,
        &base,
        &e,
        ctx.adoption.public_sector_share(&rate),
    );
    r.positives_all = ctx.positives.len();
    timings.matching = clock.elapsed().as_secs_f64();
    if let (Some(spec), Some(places)) = (config.relay, relay) {
        let clock = std::time::Instant::now();
        let attacked = ctx.simulate(config, &has_phone, Some(places), &mut tick)?;
        timings.simulate += clock.elapsed().as_secs_f64();
        let clock = std::time::Instant::now();
        let base_strict = if config.strict_windows {
            e.clone()
        } else {
            ctx.evaluate(&base, &rate, &strict)?
        };
        let base_default = if config.strict_windows {
            ctx.evaluate(&base, &rate, &default)?
        } else {
            e
        };
        let hit_default = ctx.evaluate(&attacked, &rate, &default)?;
        let hit_strict = ctx.evaluate(&attacked, &rate, &strict)?;
        r.relay = Some(RelayReport::new(
            spec,
            attacked.relayed_packets,
            (&base_default, &hit_default),
            (&base_strict, &hit_strict),
        ));
        timings.matching += clock.elapsed().as_secs_f64();
    }
    r.timings = timings;
    Ok(r)
}

/// Run the town once with the phones of the highest rate, then score every rate of `rates`:
/// the same town, seed and radio at each (see [`adoption`]: a phone without the app at a rate
/// only adds sightings nobody publishes keys for, so scoring a subset of one run gives what a
/// run at that rate gives).
pub fn sweep(
    config: &SimConfig,
    rates: &[f64],
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SweepReport, SimError> {
    config.validate()?;
    SimConfig::validate_sweep(rates)?;
    config.check_phone_days(rates.iter().copied().fold(0.0, f64::max))?;
    let ctx = Context::new(config);
    let highest = ctx.adoption.rate(rates.iter().copied().fold(0.0, f64::max));
    let has_phone: Vec<bool> = (0..config.people)
        .map(|i| ctx.adoption.has_app(&highest, i))
        .collect();
    let total = minutes(config);
    let mut done = 0;
    let clock = std::time::Instant::now();
    let world = ctx.simulate(config, &has_phone, None, &mut || {
        done += 1;
        progress(done, total);
    })?;
    let simulate = clock.elapsed().as_secs_f64();
    let clock = std::time::Instant::now();
    let m = if config.strict_windows {
        matcher(scoring().with_strict_windows(), config.seed)?
    } else {
        matcher(scoring(), config.seed)?
    };
    let mut rows = Vec::with_capacity(rates.len());
    for &a in rates {
        let rate = ctx.adoption.rate(a);
        let e = ctx.evaluate(&world, &rate, &m)?;
        rows.push(SweepRow::new(
            a,
            &e,
            ctx.adoption.public_sector_share(&rate),
        ));
    }
    let mut r = SweepReport::new(config, &ctx.town, ctx.positives.len(), &world, rows);
    r.timings = Timings {
        simulate,
        matching: clock.elapsed().as_secs_f64(),
    };
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_count_changes_nothing() {
        let config = SimConfig {
            people: 40,
            days: 1,
            ios_share: 0.3,
            scheme_mix: Some(SchemeMix {
                bluezone: 0.4,
                gaen: 0.4,
                both: 0.2,
            }),
            ..SimConfig::default()
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut r = pool.install(|| run(&config, &mut |_, _| {})).unwrap();
            r.timings = Timings::default();
            r
        };
        assert_eq!(on(1), on(3));
    }
}
