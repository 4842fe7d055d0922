"""Test certificates made with the openssl CLI: a CA, a server certificate for
127.0.0.1/localhost and a client certificate, both signed by the CA; and the
--ssl_config_file text (SSLConfig, protobuf text format) that carries them."""

import os
import subprocess


class Certs:
    def __init__(self, directory):
        self.dir = str(directory)

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()

    @property
    def ca(self):
        return self.path("ca.pem")

    @property
    def server_cert(self):
        return self.path("server.pem")

    @property
    def server_key(self):
        return self.path("server.key")

    @property
    def client_cert(self):
        return self.path("client.pem")

    @property
    def client_key(self):
        return self.path("client.key")


def _openssl(*args, cwd):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{result.stderr}")


def _signed(name, cn, extensions, cwd):
    with open(os.path.join(cwd, f"{name}.ext"), "w") as f:
        f.write(extensions)
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
        cwd=cwd,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-sha256", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
        cwd=cwd,
    )  # fmt: skip


def make_certs(directory):
    """Writes ca.pem/ca.key, server.pem/server.key (SAN IP:127.0.0.1, DNS:localhost)
    and client.pem/client.key under `directory`; returns a Certs."""
    d = str(directory)
    os.makedirs(d, exist_ok=True)
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=adlik test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=d,
    )  # fmt: skip
    common = "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\nbasicConstraints=CA:FALSE\n"
    _signed(
        "server", "localhost",
        common + "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        d,
    )  # fmt: skip
    _signed(
        "client", "adlik test client",
        common + "keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        d,
    )  # fmt: skip
    return Certs(d)


def _text_string(value):
    """A protobuf text-format string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def ssl_config_text(certs, client_verify=False, with_ca=True):
    lines = [
        f"server_key: {_text_string(certs.read('server.key'))}",
        f"server_cert: {_text_string(certs.read('server.pem'))}",
    ]
    if with_ca:
        lines.append(f"custom_ca: {_text_string(certs.read('ca.pem'))}")
    lines.append(f"client_verify: {'true' if client_verify else 'false'}")
    return "\n".join(lines) + "\n"


def write_ssl_config(path, certs, **kwargs):
    with open(path, "w") as f:
        f.write(ssl_config_text(certs, **kwargs))
    return str(path)
