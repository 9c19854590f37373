//! The export file's protobuf messages (proto2), written by hand for `prost`: no `protoc` at
//! build time. Field numbers and types: `docs/export-format.md`. Public so that a key server
//! (the `proxtrace-cli` export writer) encodes exactly what this crate decodes. The structs
//! carry the proto's message names, so that a decoder error names a message and field of the
//! published format.

/// `TemporaryExposureKeyExport` without its repeated key fields (7 `keys`, 8 `revised_keys`),
/// which are decoded one at a time so that a file of millions of keys streams.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TemporaryExposureKeyExport {
    /// 1 `start_timestamp`, unix seconds.
    #[prost(fixed64, optional, tag = "1")]
    pub start_timestamp: Option<u64>,
    /// 2 `end_timestamp`, unix seconds.
    #[prost(fixed64, optional, tag = "2")]
    pub end_timestamp: Option<u64>,
    /// 3 `region`.
    #[prost(string, optional, tag = "3")]
    pub region: Option<String>,
    /// 4 `batch_num`, 1-based.
    #[prost(int32, optional, tag = "4")]
    pub batch_num: Option<i32>,
    /// 5 `batch_size`.
    #[prost(int32, optional, tag = "5")]
    pub batch_size: Option<i32>,
    /// 6 `signature_infos`.
    #[prost(message, repeated, tag = "6")]
    pub signature_infos: Vec<SignatureInfo>,
}

/// `SignatureInfo` (fields 1–2, the legacy app bundle id and package, are skipped).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SignatureInfo {
    /// 3 `verification_key_version`.
    #[prost(string, optional, tag = "3")]
    pub verification_key_version: Option<String>,
    /// 4 `verification_key_id`.
    #[prost(string, optional, tag = "4")]
    pub verification_key_id: Option<String>,
    /// 5 `signature_algorithm` (an OID, `1.2.840.10045.4.3.2` for ECDSA P-256 SHA-256).
    #[prost(string, optional, tag = "5")]
    pub signature_algorithm: Option<String>,
}

/// `TemporaryExposureKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TemporaryExposureKey {
    /// 1 `key_data`, 16 bytes.
    #[prost(bytes = "vec", optional, tag = "1")]
    pub key_data: Option<Vec<u8>>,
    /// 2 `transmission_risk_level` (deprecated).
    #[prost(int32, optional, tag = "2")]
    pub transmission_risk_level: Option<i32>,
    /// 3 `rolling_start_interval_number`.
    #[prost(int32, optional, tag = "3")]
    pub rolling_start_interval_number: Option<i32>,
    /// 4 `rolling_period` (default 144).
    #[prost(int32, optional, tag = "4")]
    pub rolling_period: Option<i32>,
    /// 5 `report_type`.
    #[prost(int32, optional, tag = "5")]
    pub report_type: Option<i32>,
    /// 6 `days_since_onset_of_symptoms` (sint32).
    #[prost(sint32, optional, tag = "6")]
    pub days_since_onset_of_symptoms: Option<i32>,
}

/// `TEKSignatureList`, the whole of `export.sig`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TEKSignatureList {
    /// 1 `signatures`.
    #[prost(message, repeated, tag = "1")]
    pub signatures: Vec<TEKSignature>,
}

/// `TEKSignature`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TEKSignature {
    /// 1 `signature_info`.
    #[prost(message, optional, tag = "1")]
    pub signature_info: Option<SignatureInfo>,
    /// 2 `batch_num`.
    #[prost(int32, optional, tag = "2")]
    pub batch_num: Option<i32>,
    /// 3 `batch_size`.
    #[prost(int32, optional, tag = "3")]
    pub batch_size: Option<i32>,
    /// 4 `signature`, ASN.1 DER ECDSA over the whole `export.bin`.
    #[prost(bytes = "vec", optional, tag = "4")]
    pub signature: Option<Vec<u8>>,
}
