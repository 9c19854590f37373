//! The container of an export: a zip of `export.bin` and `export.sig`, or a bare
//! `export.bin`; read within [`ExportLimits`].

use std::io::{Read, Seek};

use serde::Serialize;

use super::{EXPORT_BIN, EXPORT_HEADER, EXPORT_SIG, ExportError, ExportLimits, printable};

/// What kind of file an export came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    /// A zip archive (the published form).
    Zip,
    /// A bare `export.bin` (no signature).
    ExportBin,
}

/// The bytes of an export's entries.
pub(crate) struct Loaded {
    pub(crate) container: Container,
    pub(crate) bin: Vec<u8>,
    pub(crate) sig: Option<Vec<u8>>,
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, ExportError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn check_len(len: usize, limit: u64, what: &str) -> Result<(), ExportError> {
    if len as u64 > limit {
        return Err(ExportError::TooLarge {
            entry: what.to_owned(),
            reason: format!("more than {limit} bytes"),
        });
    }
    Ok(())
}

fn check_header(bin: &[u8]) -> Result<(), ExportError> {
    if bin.starts_with(EXPORT_HEADER) {
        Ok(())
    } else {
        Err(ExportError::BadHeader {
            found: printable(&bin[..bin.len().min(16)]),
        })
    }
}

/// Read the container: a zip (by its `PK` signature, or by a readable central directory), a
/// bare `export.bin` (by its `EK Export` header), or neither.
pub(crate) fn load<R: Read + Seek>(
    mut reader: R,
    limits: &ExportLimits,
) -> Result<Loaded, ExportError> {
    let mut magic = [0u8; 16];
    let n = read_up_to(&mut reader, &mut magic)?;
    reader.rewind()?;
    let head = &magic[..n];
    if n == 0 {
        return Err(ExportError::Empty);
    }
    if head.starts_with(b"EK Export") || EXPORT_HEADER.starts_with(head) {
        let mut bin = Vec::new();
        // At most one byte past the limit: enough to tell that it was exceeded.
        (&mut reader)
            .take(limits.max_export_bin_bytes.saturating_add(1))
            .read_to_end(&mut bin)?;
        check_len(bin.len(), limits.max_export_bin_bytes, EXPORT_BIN)?;
        check_header(&bin)?;
        return Ok(Loaded {
            container: Container::ExportBin,
            bin,
            sig: None,
        });
    }
    let zip = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        Err(zip::result::ZipError::Io(e)) => return Err(ExportError::Io(e)),
        Err(source) if !head.starts_with(b"PK") => {
            return Err(ExportError::NotAnExport {
                start: printable(head),
                source,
            });
        }
        Err(e) => return Err(ExportError::Zip(e)),
    };
    let (bin, sig) = unzip(zip, limits)?;
    check_header(&bin)?;
    Ok(Loaded {
        container: Container::Zip,
        bin,
        sig,
    })
}

fn unzip<R: Read + Seek>(
    mut zip: zip::ZipArchive<R>,
    limits: &ExportLimits,
) -> Result<(Vec<u8>, Option<Vec<u8>>), ExportError> {
    if zip.has_duplicate_names() {
        return Err(ExportError::DuplicateEntry("an entry name".into()));
    }
    if zip.len() > limits.max_entries {
        return Err(ExportError::TooLarge {
            entry: "the zip".into(),
            reason: format!("{} entries, more than {}", zip.len(), limits.max_entries),
        });
    }
    let mut bin = None;
    let mut sig = None;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(ExportError::Zip)?;
        let name = entry.name().map_err(ExportError::Zip)?.into_owned();
        let (slot, limit) = match name.as_str() {
            EXPORT_BIN => (&mut bin, limits.max_export_bin_bytes),
            EXPORT_SIG => (&mut sig, limits.max_export_sig_bytes),
            _ => continue, // other entries are ignored (NL's content.sig, for one)
        };
        if slot.is_some() {
            return Err(ExportError::DuplicateEntry(name));
        }
        if entry.size() > limit {
            return Err(ExportError::TooLarge {
                entry: name,
                reason: format!("{} bytes declared, limit {limit}", entry.size()),
            });
        }
        let ratio = entry.size() / entry.compressed_size().max(1);
        if entry.size() > 1 << 20 && ratio > limits.max_compression_ratio {
            return Err(ExportError::TooLarge {
                entry: name,
                reason: format!(
                    "compressed {ratio}:1, limit {}:1",
                    limits.max_compression_ratio
                ),
            });
        }
        // The declared size may lie: read at most limit + 1 bytes and check.
        let mut data = Vec::with_capacity(usize::try_from(entry.size().min(limit)).unwrap_or(0));
        if let Err(source) = entry.take(limit.saturating_add(1)).read_to_end(&mut data) {
            return Err(ExportError::ZipEntry {
                entry: name,
                source,
            });
        }
        check_len(data.len(), limit, &name)?;
        *slot = Some(data);
    }
    let bin = bin.ok_or(ExportError::MissingEntry(EXPORT_BIN))?;
    Ok((bin, sig))
}
