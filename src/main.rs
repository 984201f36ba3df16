//! The binary: tunes the allocator (its only `unsafe`, in [`allocator`]) and runs the command
//! line, `qiyeshao::cli`.

mod allocator;

use std::process::ExitCode;

fn main() -> ExitCode {
    allocator::tune();
    qiyeshao::cli::main(allocator::spawn_trimmer)
}
