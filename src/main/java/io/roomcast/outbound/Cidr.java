package io.roomcast.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address range such as {@code 10.0.0.0/8} or {@code ::1/128}, from config. */
record Cidr(byte[] network, int bits) {
    static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        if (!addr.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            throw new IllegalArgumentException("outbound.allow: '" + text + "' is not an address range like 10.0.0.0/8");
        }
        byte[] net;
        try {
            net = InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("outbound.allow: '" + text + "' is not an address range like 10.0.0.0/8");
        }
        int bits;
        try {
            bits = slash < 0 ? net.length * 8 : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("outbound.allow: '" + text + "' has no prefix length after '/'");
        }
        if (bits < 0 || bits > net.length * 8) throw new IllegalArgumentException("outbound.allow: '" + text + "' has a prefix out of range");
        return new Cidr(net, bits);
    }

    boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != network.length) return false;
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((b[i / 8] & mask) != (network[i / 8] & mask)) return false;
        }
        return true;
    }
}
