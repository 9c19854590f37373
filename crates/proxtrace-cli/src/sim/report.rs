//! What a run reports (every figure is also in `--json`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::{PlaceRef, Relay, SimConfig};
use super::driver::World;
use super::population::{Kind, Town};
use super::scoring::{Evaluation, PairType, ratio};

/// The outcome of one run: ground truth against notifications.
///
/// The person-level lines (`exposed` … `true_negatives`, `precision`, `recall`) are the
/// system's own view: people with the app who did not test positive, exposed meaning in close
/// contact with a positive person *who has the app*. The close-contact lines count pairs
/// (positive person, other person) of the whole population, app or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    /// `gaen`, `bluezone`, or `mixed` (`--scheme-mix`).
    pub scheme: String,
    /// People in the town.
    pub people: usize,
    /// Households.
    pub households: u32,
    /// Communes (about 6,000 people each).
    pub communes: usize,
    /// Places of each kind (`home`, `school` classrooms, `work`, `field`, `office`,
    /// `market`, `bus`).
    pub places: BTreeMap<&'static str, usize>,
    /// People whose phone runs the app.
    pub phones: usize,
    /// Fraction of people asked to have the app.
    pub adoption: f64,
    /// Share of public-sector staff with the app, when they adopt at their own rate.
    pub adoption_public_sector: Option<f64>,
    /// Simulated days.
    pub days: u32,
    /// The seed.
    pub seed: u64,
    /// People who tested positive and published their keys (they have the app).
    pub positives: usize,
    /// People who tested positive, app or not.
    pub positives_all: usize,
    /// Keys published (TEKs or Bluezone daily keys).
    pub published_keys: usize,
    /// Size of the `export.bin` (GAEN) plus the F0 payload (Bluezone), bytes.
    pub published_bytes: usize,
    /// Advertisement packets handed to phones (after radio loss).
    pub advertisements_heard: u64,
    /// Bluezone identifiers read over GATT from iPhones.
    pub gatt_reads: u64,
    /// Scan-instance records in all logs together.
    pub scan_instances: u64,
    /// Mean encounter log size per scan-instance, bytes.
    pub log_bytes_per_scan_instance: f64,
    /// Logs that filled up (0 unless a phone heard hundreds of others all the time).
    pub full_logs: usize,
    /// People with the app (not positive) in close contact with a positive person with the app.
    pub exposed: usize,
    /// People (not positive) the matcher notified.
    pub notified: usize,
    /// Exposed and notified.
    pub true_positives: usize,
    /// Notified but not exposed.
    pub false_positives: usize,
    /// Exposed but not notified.
    pub false_negatives: usize,
    /// Neither.
    pub true_negatives: usize,
    /// `true_positives / notified`.
    pub precision: Option<f64>,
    /// `true_positives / exposed`.
    pub recall: Option<f64>,
    /// Close contacts: pairs (positive person, other person) within 2 m for 15 minutes on a
    /// day, whoever has the app.
    pub close_contacts_all: usize,
    /// Of those, pairs where both have the app.
    pub close_contacts_both_installed: usize,
    /// Close contacts whose contact was notified by the positive person's keys.
    pub notified_close_contacts: usize,
    /// `notified_close_contacts / close_contacts_all`: the share of all close contacts of
    /// positive people who got a notice.
    pub notified_of_all: Option<f64>,
    /// `notified_close_contacts / close_contacts_both_installed`.
    pub notified_of_both_installed: Option<f64>,
    /// Matched with the stricter windows.
    pub strict_windows: bool,
    /// Close contacts and notices per (receiver, sender) kind of phone.
    pub pair_types: Vec<PairType>,
    /// The relay study, with `--relay`.
    pub relay: Option<RelayReport>,
    /// Where the time went (not deterministic).
    #[serde(rename = "elapsed_phases_seconds")]
    pub timings: Timings,
}

/// Seconds spent simulating and matching (wall clock: varies from run to run).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Timings {
    /// Moving people, radio, tracers.
    pub simulate: f64,
    /// Publishing and matching (every rate of a sweep, both windows of a relay study).
    pub matching: f64,
}

fn places(town: &Town) -> BTreeMap<&'static str, usize> {
    Kind::ALL
        .iter()
        .map(|&k| (k.name(), town.count(k)))
        .collect()
}

fn scheme_label(config: &SimConfig) -> String {
    match config.scheme_mix {
        Some(_) => "mixed".to_owned(),
        None => config.scheme.name().to_owned(),
    }
}

impl SimReport {
    pub(crate) fn new(
        config: &SimConfig,
        town: &Town,
        world: &World,
        e: &Evaluation,
        adoption_public_sector: Option<f64>,
    ) -> Self {
        Self {
            scheme: scheme_label(config),
            people: town.people.len(),
            households: town.households,
            communes: town.communes,
            places: places(town),
            phones: e.phones,
            adoption: config.adoption,
            adoption_public_sector,
            days: config.days,
            seed: config.seed,
            positives: e.positives,
            positives_all: 0,
            published_keys: e.published_keys,
            published_bytes: e.published_bytes,
            advertisements_heard: world.advertisements_heard,
            gatt_reads: world.gatt_reads,
            scan_instances: world.scan_instances,
            log_bytes_per_scan_instance: world.log_bytes as f64
                / world.scan_instances.max(1) as f64,
            full_logs: world.full_logs,
            exposed: e.exposed,
            notified: e.notified,
            true_positives: e.true_positives,
            false_positives: e.false_positives,
            false_negatives: e.false_negatives,
            true_negatives: e.true_negatives,
            precision: ratio(e.true_positives, e.notified),
            recall: ratio(e.true_positives, e.exposed),
            close_contacts_all: e.close_contacts_all,
            close_contacts_both_installed: e.close_contacts_both_installed,
            notified_close_contacts: e.notified_close_contacts,
            notified_of_all: ratio(e.notified_close_contacts, e.close_contacts_all),
            notified_of_both_installed: ratio(
                e.notified_close_contacts,
                e.close_contacts_both_installed,
            ),
            strict_windows: config.strict_windows,
            pair_types: e.pair_types.clone(),
            relay: None,
            timings: Timings::default(),
        }
    }
}

/// What a relay did, and what the stricter windows undo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelayReport {
    /// Where the relay listened.
    pub from: PlaceRef,
    /// Where it rebroadcast.
    pub to: PlaceRef,
    /// Delay between the two, seconds.
    pub delay_secs: u32,
    /// Relayed packets phones received.
    pub relayed_packets: u64,
    /// People notified because of the relay who were not exposed (default windows).
    pub false_notifications: usize,
    /// The same with the stricter windows.
    pub false_notifications_strict: usize,
    /// `1 − strict / default` false notifications.
    pub strict_reduction: Option<f64>,
    /// Recall without the relay, default windows.
    pub recall: Option<f64>,
    /// Recall without the relay, stricter windows.
    pub strict_recall: Option<f64>,
    /// `recall − strict_recall`.
    pub strict_recall_cost: Option<f64>,
}

/// People notified with the relay, not without, and not exposed.
fn caused(base: &Evaluation, attacked: &Evaluation) -> usize {
    attacked
        .notified_people
        .iter()
        .filter(|(p, exposed)| {
            !exposed && base.notified_people.binary_search(&(*p, false)).is_err()
        })
        .count()
}

impl RelayReport {
    pub(crate) fn new(
        spec: Relay,
        relayed_packets: u64,
        default: (&Evaluation, &Evaluation),
        strict: (&Evaluation, &Evaluation),
    ) -> Self {
        let false_notifications = caused(default.0, default.1);
        let false_notifications_strict = caused(strict.0, strict.1);
        let recall = ratio(default.0.true_positives, default.0.exposed);
        let strict_recall = ratio(strict.0.true_positives, strict.0.exposed);
        Self {
            from: spec.from,
            to: spec.to,
            delay_secs: spec.delay_secs,
            relayed_packets,
            false_notifications,
            false_notifications_strict,
            strict_reduction: ratio(false_notifications_strict, false_notifications)
                .map(|r| 1.0 - r),
            recall,
            strict_recall,
            strict_recall_cost: recall.zip(strict_recall).map(|(a, b)| a - b),
        }
    }
}

/// One adoption rate of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    /// The adoption rate.
    pub adoption: f64,
    /// `adoption²`: the share of close contacts where both have the app, if installs were
    /// independent of each other.
    pub adoption_squared: f64,
    /// Share of public-sector staff with the app, when they adopt at their own rate.
    pub adoption_public_sector: Option<f64>,
    /// People with the app.
    pub phones: usize,
    /// Positive people with the app (who published).
    pub positives: usize,
    /// Close contacts, app or not.
    pub close_contacts_all: usize,
    /// Close contacts where both have the app.
    pub close_contacts_both_installed: usize,
    /// Close contacts notified by the positive person's keys.
    pub notified_close_contacts: usize,
    /// Share of all close contacts notified.
    pub notified_of_all: Option<f64>,
    /// Share of close contacts with both installed notified.
    pub notified_of_both_installed: Option<f64>,
    /// People notified.
    pub notified: usize,
    /// Person-level precision (among people with the app).
    pub precision: Option<f64>,
    /// Person-level recall (among people with the app).
    pub recall: Option<f64>,
}

impl SweepRow {
    pub(crate) fn new(adoption: f64, e: &Evaluation, public_sector: Option<f64>) -> Self {
        Self {
            adoption,
            adoption_squared: adoption * adoption,
            adoption_public_sector: public_sector,
            phones: e.phones,
            positives: e.positives,
            close_contacts_all: e.close_contacts_all,
            close_contacts_both_installed: e.close_contacts_both_installed,
            notified_close_contacts: e.notified_close_contacts,
            notified_of_all: ratio(e.notified_close_contacts, e.close_contacts_all),
            notified_of_both_installed: ratio(
                e.notified_close_contacts,
                e.close_contacts_both_installed,
            ),
            notified: e.notified,
            precision: ratio(e.true_positives, e.notified),
            recall: ratio(e.true_positives, e.exposed),
        }
    }
}

/// An adoption sweep: one town, one seed, one row per rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepReport {
    /// `gaen`, `bluezone` or `mixed`.
    pub scheme: String,
    /// People in the town.
    pub people: usize,
    /// Households.
    pub households: u32,
    /// Simulated days.
    pub days: u32,
    /// The seed.
    pub seed: u64,
    /// How much installs cluster in households.
    pub household_clustering: f64,
    /// People who tested positive, app or not.
    pub positives_all: usize,
    /// Close contacts, app or not.
    pub close_contacts_all: usize,
    /// Advertisement packets handed to phones in the run (at the highest rate).
    pub advertisements_heard: u64,
    /// One row per rate, in the order asked.
    pub sweep: Vec<SweepRow>,
    /// Where the time went (not deterministic).
    #[serde(rename = "elapsed_phases_seconds")]
    pub timings: Timings,
}

impl SweepReport {
    pub(crate) fn new(
        config: &SimConfig,
        town: &Town,
        positives_all: usize,
        world: &World,
        sweep: Vec<SweepRow>,
    ) -> Self {
        Self {
            scheme: scheme_label(config),
            people: town.people.len(),
            households: town.households,
            days: config.days,
            seed: config.seed,
            household_clustering: config.household_clustering,
            positives_all,
            close_contacts_all: sweep.first().map_or(0, |r| r.close_contacts_all),
            advertisements_heard: world.advertisements_heard,
            sweep,
            timings: Timings::default(),
        }
    }
}
