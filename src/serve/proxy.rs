//! The real caller behind a load balancer: HAProxy's PROXY protocol, version 2
//! (<https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt>, what `send-proxy-v2`
//! writes), read in front of the TLS handshake from the peers named in
//! `serve.trusted_proxies`, and from them only.
//!
//! A connection from a trusted proxy must open with a version 2 header: without one it is
//! closed, since every caller would otherwise share the proxy's address (one throttle, one
//! connection cap for all). A connection from any other peer is read as TLS at once, so a
//! PROXY header it sends fails the handshake: nobody outside the list can name another
//! address.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;
use ppp::v2::{Addresses, Command, Header, ParseError};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest version 2 header read, in bytes: the 16 fixed bytes and 36 of IPv6
/// addresses, with room for the TLVs a load balancer adds (HAProxy's unique ID is at most
/// 128 bytes). A longer one is refused before it is read.
pub const MAX_HEADER: usize = 536;
/// The fixed part of a version 2 header: signature, version and command, family, length.
const FIXED: usize = 16;

/// `serve.trusted_proxies`: addresses and CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`,
/// `127.0.0.1`) whose connections carry a PROXY header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Reads each entry; the error names the first one that is neither an address nor a
    /// block.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut nets = Vec::with_capacity(entries.len());
        for entry in entries {
            let entry = entry.as_ref().trim();
            let net = IpNet::from_str(entry)
                .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                .map_err(|_| format!("{entry:?} is neither an IP address nor a CIDR block (10.0.0.0/8)"))?;
            nets.push(net.trunc());
        }
        Ok(Self(nets))
    }

    /// Whether a peer is one of the proxies (an IPv4 peer seen as IPv4-mapped IPv6 too).
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|net| net.contains(&peer))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a trusted proxy's connection was closed before TLS.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the connection from a trusted proxy did not open with a PROXY protocol v2 header ({0})")]
    NotProxy(String),
    #[error("the PROXY header is {0} bytes long; at most {MAX_HEADER} are read")]
    TooLong(usize),
    #[error("the PROXY header could not be read: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads one version 2 header, exactly its bytes (what follows is the client's TLS
/// handshake), and returns the caller it names. `None` for a `LOCAL` header (the proxy's
/// own health check) and for a `PROXY` one whose addresses are not IP (UNIX sockets,
/// unspecified): the spec says to keep the connection's own address then.
pub async fn read_header<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Option<SocketAddr>, ProxyError> {
    let mut bytes = [0u8; MAX_HEADER];
    stream.read_exact(&mut bytes[..FIXED]).await?;
    // The signature, version and command are checked before the length is believed.
    match Header::try_from(&bytes[..FIXED]) {
        Ok(_) | Err(ParseError::Partial(..)) => {}
        Err(e) => return Err(ProxyError::NotProxy(e.to_string())),
    }
    let total = FIXED + usize::from(u16::from_be_bytes([bytes[14], bytes[15]]));
    if total > MAX_HEADER {
        return Err(ProxyError::TooLong(total));
    }
    stream.read_exact(&mut bytes[FIXED..total]).await?;
    let header = Header::try_from(&bytes[..total]).map_err(|e| ProxyError::NotProxy(e.to_string()))?;
    Ok(caller(&header))
}

/// The source address of a `PROXY` header, IPv4-mapped IPv6 written as IPv4.
fn caller(header: &Header) -> Option<SocketAddr> {
    if header.command != Command::Proxy {
        return None;
    }
    match &header.addresses {
        Addresses::IPv4(a) => Some(SocketAddr::new(IpAddr::V4(a.source_address), a.source_port)),
        Addresses::IPv6(a) => Some(SocketAddr::new(IpAddr::V6(a.source_address).to_canonical(), a.source_port)),
        Addresses::Unix(_) | Addresses::Unspecified => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppp::v2::{Builder, IPv4, IPv6, Protocol, Version};

    async fn read(bytes: &[u8]) -> (Result<Option<SocketAddr>, ProxyError>, Vec<u8>) {
        let mut stream = bytes;
        let read = read_header(&mut stream).await;
        (read, stream.to_vec())
    }

    fn header(command: Command, addresses: impl Into<Addresses>) -> Vec<u8> {
        Builder::with_addresses(Version::Two | command, Protocol::Stream, addresses).build().unwrap()
    }

    #[tokio::test]
    async fn the_header_names_the_caller_and_only_its_bytes_are_read() {
        let v4 = IPv4::new([203, 0, 113, 7], [10, 0, 0, 1], 51_000, 8443);
        let mut bytes = header(Command::Proxy, v4);
        bytes.extend_from_slice(b"\x16\x03\x01rest of the handshake");
        let (caller, rest) = read(&bytes).await;
        assert_eq!(caller.unwrap(), Some("203.0.113.7:51000".parse().unwrap()));
        assert_eq!(rest, b"\x16\x03\x01rest of the handshake");

        let mapped = IPv6::new(
            "::ffff:198.51.100.9".parse::<std::net::Ipv6Addr>().unwrap(),
            "::1".parse::<std::net::Ipv6Addr>().unwrap(),
            1,
            2,
        );
        assert_eq!(read(&header(Command::Proxy, mapped)).await.0.unwrap(), Some("198.51.100.9:1".parse().unwrap()));
        let v6 = IPv6::new(
            "2001:db8::5".parse::<std::net::Ipv6Addr>().unwrap(),
            "::1".parse::<std::net::Ipv6Addr>().unwrap(),
            443,
            2,
        );
        assert_eq!(read(&header(Command::Proxy, v6)).await.0.unwrap(), Some("[2001:db8::5]:443".parse().unwrap()));
        // The proxy's own health check keeps the connection's address.
        assert_eq!(read(&header(Command::Local, Addresses::Unspecified)).await.0.unwrap(), None);
    }

    #[tokio::test]
    async fn anything_else_from_a_trusted_proxy_is_refused() {
        // A TLS ClientHello where the header should be, a version 1 header, a cut header.
        let hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03abcdefghijklmnop";
        assert!(matches!(read(hello).await.0, Err(ProxyError::NotProxy(_))));
        let v1 = b"PROXY TCP4 203.0.113.7 10.0.0.1 51000 8443\r\n";
        assert!(matches!(read(v1).await.0, Err(ProxyError::NotProxy(_))));
        let whole = header(Command::Proxy, IPv4::new([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
        assert!(matches!(read(&whole[..20]).await.0, Err(ProxyError::Io(_))));
        // A length past the bound is refused before a byte of it is read.
        let mut long = whole[..FIXED].to_vec();
        long[14..16].copy_from_slice(&60_000u16.to_be_bytes());
        assert!(matches!(read(&long).await.0, Err(ProxyError::TooLong(60_016))));
    }

    #[test]
    fn trusted_proxies_are_addresses_and_blocks() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", "127.0.0.1", " 2001:db8::/32 "]).unwrap();
        assert!(trusted.contains("10.200.3.4".parse().unwrap()));
        assert!(trusted.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(trusted.contains("2001:db8:1::9".parse().unwrap()));
        assert!(!trusted.contains("127.0.0.2".parse().unwrap()));
        assert!(!trusted.contains("11.0.0.1".parse().unwrap()));
        let wrong = TrustedProxies::parse(&["10.0.0.0/33"]).unwrap_err();
        assert!(wrong.contains("10.0.0.0/33"), "{wrong}");
        assert!(TrustedProxies::parse(&["proxy.internal"]).is_err());
        assert!(TrustedProxies::parse::<&str>(&[]).unwrap().is_empty());
    }
}
