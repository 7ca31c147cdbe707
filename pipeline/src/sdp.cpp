#include "loa/pipeline/sdp.hpp"

#include <sstream>

#include "loa/common/secret.hpp"
#include "loa/pipeline/rtp.hpp"

namespace loa::pipeline {

std::string make_sdp(const SdpDescription& d) {
    std::ostringstream s;
    const char* crlf = "\r\n";
    int pt = kOpusPayloadType;
    s << "v=0" << crlf;
    s << "o=loa 0 0 IN IP4 " << d.listen_address << crlf;
    s << "s=Loa receiver " << d.receiver_id << crlf;
    s << "c=IN IP4 " << d.listen_address << crlf;
    s << "t=0 0" << crlf;
    s << "m=audio " << d.listen_port << " RTP/SAVP " << pt << crlf;
    s << "a=rtpmap:" << pt << " opus/48000/2" << crlf; // RFC 7587: always 48000/2
    s << "a=fmtp:" << pt << " useinbandfec=1;stereo=" << (d.channels == 2 ? 1 : 0)
      << ";sprop-stereo=" << (d.channels == 2 ? 1 : 0) << crlf;
    s << "a=ptime:20" << crlf;
    s << "a=recvonly" << crlf;
    s << "a=crypto:1 " << to_string(d.profile) << " inline:" << common::to_base64(d.key)
      << " UNENCRYPTED_SRTCP" << crlf;
    if (d.ssrc)
        s << "a=ssrc:" << *d.ssrc << " cname:" << d.receiver_id << crlf;
    return s.str();
}

} // namespace loa::pipeline
