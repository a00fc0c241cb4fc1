//! Test certificates, made once per test run with the `openssl` CLI (and `keytool` for the
//! PKCS12 trust store and the JKS file): two CAs, a server certificate for `localhost` from
//! each, and a client certificate from the first in every key store format.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The directory holding the files.
pub(crate) fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kafka-producer-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = r#"
set -e
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
for ca in ca ca2; do
  openssl req -x509 $ec -keyout $ca.key -out $ca.pem -days 3650 -subj /CN=$ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
done
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
for s in server:ca:server.ext server2:ca2:server.ext client:ca:client.ext; do
  IFS=: read name ca ext <<EOT
$s
EOT
  openssl req $ec -keyout $name.key -out $name.csr -subj /CN=$name 2>/dev/null
  openssl x509 -req -in $name.csr -CA $ca.pem -CAkey $ca.key -CAcreateserial -out $name.pem \
    -days 3650 -extfile $ext 2>/dev/null
done
cat client.key client.pem > client-keystore.pem
openssl pkcs8 -topk8 -in client.key -out client-enc.key -v2 aes-256-cbc -passout pass:keypass
cat client-enc.key client.pem > client-keystore-enc.pem
openssl pkcs8 -topk8 -in client.key -out client-pbes1.key -v1 PBE-SHA1-3DES -passout pass:keypass
cat client-pbes1.key client.pem > client-keystore-pbes1.pem
openssl pkcs12 -export -inkey client.key -in client.pem -certfile ca.pem -out client.p12 \
  -passout pass:storepass -name client
keytool -importcert -noprompt -alias ca -file ca.pem -keystore trust.p12 -storetype PKCS12 \
  -storepass trustpass >/dev/null 2>&1
keytool -importcert -noprompt -alias ca -file ca.pem -keystore trust.jks -storetype JKS \
  -storepass trustpass >/dev/null 2>&1
"#;
        let out = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .output()
            .expect("openssl and keytool");
        assert!(
            out.status.success(),
            "certificate generation failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// The path of `name` in [`dir`], as a string.
pub(crate) fn path(name: &str) -> String {
    dir().join(name).to_string_lossy().into_owned()
}

/// The contents of `name`.
pub(crate) fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap()
}
