//! Loading any bytes as a security.yml never panics: it yields a document or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("security.yml");
    let Ok(text) = tokenctl::store::into_text(path, data.to_vec()) else {
        return;
    };
    if let Ok((doc, _problems)) = tokenctl::document::Document::load_all(path, text.clone()) {
        // Whatever loaded can be asked where its keys are.
        for key in &doc.model.keys {
            let _ = doc.key_position(&key.name);
        }
    }
    let _ = tokenctl::verify::Verifier::from_yaml(&text);
});
