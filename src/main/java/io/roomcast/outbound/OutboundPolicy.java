package io.roomcast.outbound;

import io.roomcast.errors.Refusal;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where Roomcast may connect when a user names the destination (webhooks, RTMP pushes, preSignedUrl
 * uploads). Never: link-local addresses (the cloud metadata service at 169.254.169.254, fe80::/10),
 * multicast, broadcast, the unspecified address and the metadata host names, whatever the config
 * says. Loopback, private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) only when config allows
 * them: {@code outbound.allow} (CIDRs) or the blanket development switch
 * {@code webhooks.allowPrivateAddresses}. A name is resolved once, every address it gives must be
 * allowed, and the caller connects to the address that was checked, so a name that changes
 * between two lookups (DNS rebinding) cannot slip in.
 */
public final class OutboundPolicy {
    /** How names are looked up; tests give one that answers differently each time. */
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private static final Set<String> METADATA_NAMES = Set.of("metadata.google.internal", "metadata.goog", "metadata",
            "instance-data", "instance-data.ec2.internal", "metadata.azure.com");

    private final List<Cidr> allow;
    private final boolean allowInternal;
    private final Resolver resolver;

    public OutboundPolicy(String allowCidrs, boolean allowInternal) {
        this(allowCidrs, allowInternal, InetAddress::getAllByName);
    }

    public OutboundPolicy(String allowCidrs, boolean allowInternal, Resolver resolver) {
        List<Cidr> list = new ArrayList<>();
        for (String c : allowCidrs == null ? new String[0] : allowCidrs.split("\\s*,\\s*")) {
            if (!c.isBlank()) list.add(Cidr.parse(c.trim()));
        }
        this.allow = List.copyOf(list);
        this.allowInternal = allowInternal;
        this.resolver = resolver;
    }

    /** Refuses a URL a client gives: scheme, host, length, and a host that is an address literal or a name never dialled. */
    public URI checkUrl(String field, String url, Set<String> schemes) {
        if (url == null || url.isBlank()) throw Refusal.invalid(field + " must be a non-empty URL");
        if (url.length() > 2048) throw Refusal.invalid(field + " is longer than 2048 characters");
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw Refusal.invalid(field + " is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!schemes.contains(scheme)) throw Refusal.invalid(field + " must use " + String.join(" or ", new TreeSet<>(schemes)));
        String host = uri.getHost();
        if (host == null || host.isEmpty()) throw Refusal.invalid(field + " must name a host");
        String h = unbracketed(host);
        String lower = h.toLowerCase(Locale.ROOT);
        if (METADATA_NAMES.contains(lower)) throw forbidden(field, "a cloud metadata service");
        InetAddress a;
        if (isLocalhost(lower)) {
            a = InetAddress.getLoopbackAddress(); // always loopback (RFC 6761): no lookup on the caller's thread
        } else if (isLiteral(h)) {
            try {
                a = InetAddress.getByName(h); // a literal: parsed, no lookup
            } catch (UnknownHostException e) {
                throw Refusal.invalid(field + " has a host that is not an address");
            }
        } else {
            return uri; // a name: checked by checkName, and again when it is dialled
        }
        String why = refusal(a);
        if (why != null) throw forbidden(field, why);
        return uri;
    }

    /**
     * A named host checked when a request names it (blocking: call off the event loop), so a name
     * that resolves to an address never dialled is refused at once like the literal would be. A name
     * that does not resolve yet is let through: it is looked up and checked again when dialled.
     */
    public void checkName(String field, URI uri) {
        String h = unbracketed(uri.getHost());
        if (literalOrLocal(h)) return; // checkUrl judged it
        InetAddress[] all;
        try {
            all = resolver.resolve(h);
        } catch (UnknownHostException e) {
            return;
        }
        for (InetAddress a : all) {
            String why = refusal(a);
            if (why != null) throw forbidden(field, a.getHostAddress() + " (what " + h + " resolves to), " + why);
        }
    }

    /**
     * Resolves a host once (blocking: call off the event loop) and gives back the address to connect
     * to, or an {@link IllegalStateException} saying why it may not be dialled.
     */
    public InetAddress resolve(String host) {
        String h = unbracketed(host);
        if (METADATA_NAMES.contains(h.toLowerCase(Locale.ROOT))) throw new IllegalStateException(h + " is a cloud metadata service");
        InetAddress[] all;
        try {
            all = resolver.resolve(h);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(h + " does not resolve");
        }
        if (all.length == 0) throw new IllegalStateException(h + " does not resolve");
        for (InetAddress a : all) {
            String why = refusal(a);
            if (why != null) throw new IllegalStateException(h + " resolves to " + a.getHostAddress() + ", " + why);
        }
        return all[0];
    }

    /** Null when the address may be dialled, else why not. */
    public String refusal(InetAddress a) {
        if (a.isLinkLocalAddress()) return "a link-local address (the cloud metadata service lives there)";
        if (a.isMulticastAddress()) return "a multicast address";
        if (a.isAnyLocalAddress()) return "the unspecified address";
        byte[] b = a.getAddress();
        if (b.length == 4 && (b[0] & 0xff) == 255 && (b[1] & 0xff) == 255 && (b[2] & 0xff) == 255 && (b[3] & 0xff) == 255) {
            return "the broadcast address";
        }
        if (!internal(a) || allowInternal) return null;
        for (Cidr c : allow) if (c.contains(a)) return null;
        return "a loopback or private address, which outbound.allow does not list";
    }

    static boolean internal(InetAddress a) {
        byte[] b = a.getAddress();
        boolean cgnat = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
        boolean ula = b.length == 16 && (b[0] & 0xfe) == 0xfc;
        return a.isLoopbackAddress() || a.isSiteLocalAddress() || cgnat || ula;
    }

    /** An address literal or a localhost name: judged without a lookup. */
    private static boolean literalOrLocal(String h) {
        return isLocalhost(h.toLowerCase(Locale.ROOT)) || isLiteral(h);
    }

    private static boolean isLocalhost(String lower) {
        return lower.equals("localhost") || lower.endsWith(".localhost");
    }

    private static boolean isLiteral(String h) {
        return h.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
    }

    private static String unbracketed(String host) {
        return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }

    private static Refusal forbidden(String field, String why) {
        return Refusal.invalid("forbidden_address", field + " points at " + why + ", which this server does not dial");
    }
}
