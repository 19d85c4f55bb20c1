//! Helpers shared by the sasl integration tests.
#![allow(dead_code, unreachable_pub)]

use sasl::{
    AuthError, ClientError, ClientSession, CredentialStore, ServerSession, ServerStep, Success,
};

/// How a whole exchange between our client and our server ended.
#[derive(Debug)]
pub enum Outcome {
    Success(Success),
    ServerFailure(AuthError),
    ClientFailure(ClientError),
}

/// Runs `client` against `server` to the end, answering look-ups from `store`.
/// Returns the outcome and the transcript of (sender, bytes) messages.
pub fn drive<S: CredentialStore>(
    client: &mut ClientSession,
    server: &mut ServerSession,
    store: &S,
    use_initial_response: bool,
) -> (Outcome, Vec<(char, Vec<u8>)>) {
    let mut transcript = Vec::new();
    let initial = if use_initial_response {
        client.initial_response()
    } else {
        None
    };
    if let Some(initial) = &initial {
        transcript.push(('C', initial.clone()));
    }
    let mut step = futures_executor::block_on(server.start_with(initial.as_deref(), store));
    for _ in 0..16 {
        match step {
            ServerStep::Challenge(challenge) => {
                transcript.push(('S', challenge.clone()));
                match client.step(&challenge) {
                    Ok(response) => {
                        transcript.push(('C', response.clone()));
                        step = futures_executor::block_on(server.step_with(&response, store));
                    }
                    Err(error) => return (Outcome::ClientFailure(error), transcript),
                }
            }
            ServerStep::Success(success) => {
                return match client.finish(success.additional_data.as_deref()) {
                    Ok(()) => (Outcome::Success(success), transcript),
                    Err(error) => (Outcome::ClientFailure(error), transcript),
                };
            }
            ServerStep::Failure(error) => return (Outcome::ServerFailure(error), transcript),
            ServerStep::Lookup(_) => unreachable!("start_with/step_with answer look-ups"),
        }
    }
    panic!("exchange did not end: {transcript:?}");
}
