//! Every response the types can hold, encoded then parsed, is the same
//! response; and parsing stops exactly at its end.
//!
//! Excluded by the strategies, because the grammar cannot tell them
//! apart (the parser's choice is documented on the types):
//! - a text without a code that starts with `[` (it would be read as a
//!   code when it forms one);
//! - a continuation text without a code that is also valid base64
//!   (read back as `Continue::Base64`, the empty text included);
//! - names that are keywords where a keyword may stand (unknown codes,
//!   capabilities, attributes are generated with a prefix no keyword has);
//! - a TEXT part as a basic part, or MESSAGE/RFC822 with its envelope as
//!   one (their own variants);
//! - tagged PREAUTH and BYE, which the grammar does not have.

// The shared strategies are `pub` for every test that includes them.
#[path = "support/response_strategies.rs"]
mod response_strategies;
#[allow(unreachable_pub)]
#[path = "support/strategies.rs"]
mod strategies;

use bytes::BytesMut;
use imap_proto::encode::{self, EncodeOptions};
use imap_proto::parse::{self, ParseLimits};
use imap_proto::stream::client::{ResponseLimits, ResponseReader};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn encode_then_parse_is_identity(r in response_strategies::response()) {
        let mut out = BytesMut::new();
        encode::response(&r, EncodeOptions::default(), &mut out);
        // A following response must not be read into this one.
        let len = out.len();
        out.extend_from_slice(b"* 1 EXISTS\r\n");
        let parsed = parse::response(&out, ParseLimits::default());
        let (back, n) = parsed.unwrap_or_else(|e| {
            panic!("{e:?} for {:?}", String::from_utf8_lossy(&out[..len]))
        });
        prop_assert_eq!(n, len, "{:?}", String::from_utf8_lossy(&out[..len]));
        prop_assert_eq!(back.clone(), r.clone());
        prop_assert_eq!(back.into_owned(), r);
    }

    #[test]
    fn utf8_mode_round_trips_too(r in response_strategies::response()) {
        let options = EncodeOptions { utf8: true, ..EncodeOptions::default() };
        let mut out = BytesMut::new();
        encode::response(&r, options, &mut out);
        let (back, n) = parse::response(&out, ParseLimits::default()).expect("parses");
        prop_assert_eq!(n, out.len());
        prop_assert_eq!(back, r);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The client's reader gives the same response whatever two pieces
    /// the bytes arrive in.
    #[test]
    fn the_reader_reads_it_split_at_every_byte(r in response_strategies::response()) {
        let mut out = BytesMut::new();
        encode::response(&r, EncodeOptions::default(), &mut out);
        for split in 0..=out.len() {
            let mut reader = ResponseReader::new(ResponseLimits::default());
            reader.feed(&out[..split]);
            let early = reader.next_owned().expect("reads");
            let back = match early {
                Some(back) => back,
                None => {
                    reader.feed(&out[split..]);
                    reader.next_owned().expect("reads").expect("whole")
                }
            };
            prop_assert_eq!(&back, &r, "split at {}", split);
            prop_assert_eq!(reader.buffered(), 0);
        }
    }
}
