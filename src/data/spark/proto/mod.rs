//! Spark Connect messages and the gRPC client stub, generated once by `scripts/gen-spark-proto`
//! from the Apache-licensed `.proto` files in this folder (fresh machines have no `protoc`).
#![allow(clippy::all, clippy::pedantic, rustdoc::all, missing_docs, unreachable_pub)]

include!("spark.connect.rs");
