//! `proxtrace keys`: print rolling identifiers derived from a daily key, in the layout of the
//! vector files.

use std::io::{self, BufWriter, Write};

use clap::{Args, Subcommand};
use proxtrace::bluezone::DailyKey;
use proxtrace::gaen::{Metadata, RollingProximityIdentifier, TemporaryExposureKey};
use proxtrace::time::{EN_INTERVALS_PER_DAY, EnIntervalNumber, SlotsPerDay, UnixTime};

use crate::cli::{CliError, parse_hex};

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// GAEN: print `i enin rpi_hex [aem_hex]` per interval.
    Gaen(GaenArgs),
    /// Bluezone: print `day slot unix_start id_hex` per slot.
    Bluezone(BluezoneArgs),
}

#[derive(Debug, Args)]
pub(crate) struct GaenArgs {
    /// Temporary exposure key, 32 hex digits.
    #[arg(long, value_name = "HEX", value_parser = parse_hex::<16>)]
    tek: [u8; 16],
    /// First ENIntervalNumber (unix seconds / 600).
    #[arg(long, value_name = "N")]
    interval: u32,
    /// Metadata, 8 hex digits (e.g. 40080000); adds the AEM column.
    #[arg(long, value_name = "HEX", value_parser = parse_hex::<4>)]
    metadata: Option<[u8; 4]>,
    /// Number of intervals to print.
    #[arg(long, value_name = "K", default_value_t = EN_INTERVALS_PER_DAY)]
    count: u32,
}

#[derive(Debug, Args)]
pub(crate) struct BluezoneArgs {
    /// Daily key of the first day, 64 hex digits.
    #[arg(long, value_name = "HEX", value_parser = parse_hex::<32>)]
    daily_key: [u8; 32],
    /// UTC midnight (unix seconds) of the daily key's day.
    #[arg(long, value_name = "UNIX")]
    day_start: u64,
    /// Slots per day (must divide 86400).
    #[arg(long, value_name = "N", default_value_t = SlotsPerDay::DEFAULT.get())]
    slots: u32,
    /// Number of days to print, rolling the daily key each day.
    #[arg(long, value_name = "D", default_value_t = 1)]
    days: u32,
}

pub(crate) fn run(cmd: KeysCommand) -> Result<(), CliError> {
    let mut out = BufWriter::new(io::stdout().lock());
    match cmd {
        KeysCommand::Gaen(a) => gaen(&a, &mut out)?,
        KeysCommand::Bluezone(a) => bluezone(&a, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn gaen(a: &GaenArgs, out: &mut impl Write) -> Result<(), CliError> {
    let first = EnIntervalNumber::new(a.interval);
    if a.count > 0 && first.checked_add(a.count - 1).is_none() {
        return Err(CliError::usage(
            "--count",
            format!(
                "interval {} + {} intervals overflows 32 bits",
                a.interval, a.count
            ),
        ));
    }
    let tek = TemporaryExposureKey::from_bytes(a.tek);
    let rpik = tek.rolling_proximity_identifier_key();
    let aemk = tek.associated_encrypted_metadata_key();
    let metadata = a.metadata.map(Metadata::from_bytes);
    let mut rpis = vec![RollingProximityIdentifier::default(); a.count as usize];
    rpik.derive_rpis(first, &mut rpis)
        .map_err(|e| CliError::usage("--interval", e))?;
    for (i, rpi) in rpis.iter().enumerate() {
        let enin = u64::from(a.interval) + i as u64;
        match &metadata {
            Some(md) => writeln!(
                out,
                "{i} {enin} {} {}",
                rpi.to_hex(),
                aemk.encrypt(rpi, md).to_hex()
            )?,
            None => writeln!(out, "{i} {enin} {}", rpi.to_hex())?,
        }
    }
    Ok(())
}

fn bluezone(a: &BluezoneArgs, out: &mut impl Write) -> Result<(), CliError> {
    let spd = SlotsPerDay::new(a.slots).map_err(|e| CliError::usage("--slots", e))?;
    let start = UnixTime::from_secs(a.day_start);
    let day = start
        .utc_day()
        .map_err(|e| CliError::usage("--day-start", e))?;
    if day.start() != start {
        return Err(CliError::usage(
            "--day-start",
            format!(
                "{} is not a UTC midnight (the day starts at {})",
                a.day_start,
                day.start()
            ),
        ));
    }
    let mut dk = DailyKey::from_bytes(a.daily_key, day);
    for d in 0..a.days {
        if d > 0 {
            dk = dk.next().map_err(|e| CliError::usage("--days", e))?;
        }
        let day_start = dk.day().start().as_secs();
        for (slot, id) in dk.bluezone_ids(spd).iter().enumerate() {
            let t = day_start + slot as u64 * spd.slot_seconds();
            writeln!(out, "{d} {slot} {t} {}", id.to_hex())?;
        }
    }
    Ok(())
}
