//! One integration-test binary (ripgrep's habit): CLI tests run the real binary, real-data tests
//! read ../shared/real_data and skip with a printed reason when it is absent.
mod afterglow_oracle;
mod anylog;
mod bad_input;
mod cli;
mod dashboard;
mod desk;
mod dictionary_text;
mod gui;
mod lake;
mod lake_real;
mod lean_query;
mod lessons;
mod linking;
mod native;
mod proptests;
mod real_data;
mod spark;
mod util;
