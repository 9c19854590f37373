//! The export file's protobuf messages (proto2), written by hand for `prost`: no `protoc` at
//! build time. Field numbers and types: `docs/export-format.md`.

/// `TemporaryExposureKeyExport` without its repeated key fields, which are decoded one at a
/// time (see `super::read`).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ExportHeaderMessage {
    #[prost(fixed64, optional, tag = "1")]
    pub start_timestamp: Option<u64>,
    #[prost(fixed64, optional, tag = "2")]
    pub end_timestamp: Option<u64>,
    #[prost(string, optional, tag = "3")]
    pub region: Option<String>,
    #[prost(int32, optional, tag = "4")]
    pub batch_num: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    pub batch_size: Option<i32>,
    #[prost(message, repeated, tag = "6")]
    pub signature_infos: Vec<SignatureInfoMessage>,
}

/// `SignatureInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SignatureInfoMessage {
    #[prost(string, optional, tag = "3")]
    pub verification_key_version: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub verification_key_id: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub signature_algorithm: Option<String>,
}

/// `TemporaryExposureKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TekMessage {
    #[prost(bytes = "vec", optional, tag = "1")]
    pub key_data: Option<Vec<u8>>,
    #[prost(int32, optional, tag = "2")]
    pub transmission_risk_level: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    pub rolling_start_interval_number: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    pub rolling_period: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    pub report_type: Option<i32>,
    #[prost(sint32, optional, tag = "6")]
    pub days_since_onset_of_symptoms: Option<i32>,
}

/// `TEKSignatureList`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SignatureListMessage {
    #[prost(message, repeated, tag = "1")]
    pub signatures: Vec<SignatureMessage>,
}

/// `TEKSignature`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SignatureMessage {
    #[prost(message, optional, tag = "1")]
    pub signature_info: Option<SignatureInfoMessage>,
    #[prost(int32, optional, tag = "2")]
    pub batch_num: Option<i32>,
    #[prost(int32, optional, tag = "3")]
    pub batch_size: Option<i32>,
    #[prost(bytes = "vec", optional, tag = "4")]
    pub signature: Option<Vec<u8>>,
}
