#!/usr/bin/env bash
# Regenerate the demo show's media: recordings/*.mp3|m4a and cover.jpg.
#
# The clips are synthetic: espeak-ng reads each session's title, chair/speakers
# and a one-sentence summary; ffmpeg encodes the result. They stand in for the
# real session recordings. Needs espeak-ng and ffmpeg (with libmp3lame and the
# drawtext filter) and the DejaVu fonts:
#     apt-get install -y espeak-ng ffmpeg fonts-dejavu-core
#
# Usage (from anywhere):  bash episodes/make-demo-audio.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."   # the show folder (repo root)

VOICE="en-gb"     # espeak-ng voice
SPEED=165         # words per minute
FONT_BOLD="/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FONT="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

mkdir -p recordings

# name|text read by espeak-ng
clips=(
"01-outcomes-measurement|Social Outcomes Conference 2022, day one, roundtable A. \
Outcomes measurement and public value. \
Chaired by Doctor Mara Airoldi, Government Outcomes Lab, with Stan Gilmour, Thames Valley Police, \
and Mathilde Pellizzari, FAIR and Centre de Sociologie de l'Innovation. \
A wide-ranging discussion of how we define, measure and use value in decision-making, \
and of the risk that data prescribes exactly the value we seek to measure."
"02-impact-bond-model|Social Outcomes Conference 2022, day one, roundtable B. \
Stretching and flexing the impact bond model: evidence and insights from across the world. \
Chaired by Doctor Chih Hoong Sin, Traverse, with Abha Thorat-Shah, British Asian Trust. \
A trip around the world on how the impact bond model can be stretched to serve its context, \
including low and middle income countries where governments often do not pay for outcomes."
"03-keynote-power|Social Outcomes Conference 2022, day one, keynote. \
Power, for all: harnessing power for positive change. \
Professor Julie Battilana, Harvard University, followed by a panel with David Knott, \
The National Lottery Community Fund, and Mehreen Shahid, Safe Delivery Safe Mother. \
Agitators, innovators and orchestrators are all needed to harness power for positive change, \
because power can be dirty, but it does not have to be."
"04-public-procurement|Social Outcomes Conference 2022, day one, deep dive A. \
Achieving wider wellbeing through public procurement. \
With Mat Ilic, Catch22, Jonathan Bland, E3M, and Julian Blake, Stone King. \
The promises and practical challenges of social value in public procurement, \
and why transactional processes can exclude social enterprises rooted in local communities."
"05-levelling-up|Social Outcomes Conference 2022, day one, deep dive B. \
How can central government rebuild local governance capacity to support the levelling up agenda? \
With Michal Shinwell, Camden Council, and Conor Sullivan and Martha Macgregor, \
Bridges Outcomes Partnerships. \
Balancing the outcomes set by central government with solutions that reflect local concerns."
"06-beyond-impact-bonds|Social Outcomes Conference 2022, day one, deep dive C. \
Beyond impact bonds: unlocking investment for outcomes-focused social programmes. \
Chaired by Salim Bensmali, Meridian, with Megan Goulding, U S C Price Center for Social Innovation. \
How outcomes-focused funding can align social and financial objectives, \
and whether fund-based investment offers a simpler model."
)

# Common encoder options: mono, 44.1 kHz, no metadata, no encoder-version tags, and
# levelled to podcast loudness (-19 LUFS mono, i.e. -16 LUFS heard on two speakers; true
# peak under -1 dBTP), so that `audiofeed publish` passes these MP3/AAC files through
# untouched. loudnorm's one-pass mode is fine for these short synthetic clips.
level=(-af "loudnorm=I=-18.5:TP=-3.5:LRA=15")
common=(-hide_banner -loglevel error -y -map_metadata -1 -fflags +bitexact -flags:a +bitexact "${level[@]}" -ac 1 -ar 44100)

for entry in "${clips[@]}"; do
    name="${entry%%|*}"
    text="${entry#*|}"
    espeak-ng -v "$VOICE" -s "$SPEED" -w "$tmp/$name.wav" "$text"
    case "$name" in
    01-*)
        # The one tagged file: an ID3v2.3 title/artist for `audiofeed new --from-audio`.
        ffmpeg -i "$tmp/$name.wav" "${common[@]}" -c:a libmp3lame -b:a 64k \
            -id3v2_version 3 \
            -metadata title="Outcomes measurement & public value" \
            -metadata artist="Government Outcomes Lab" \
            "recordings/$name.mp3"
        ;;
    03-*)
        # The one AAC file, moov atom up front for progressive playback. ffmpeg's
        # native AAC encoder overshoots on speech: a 44k target gives about 48 kb/s.
        ffmpeg -i "$tmp/$name.wav" "${common[@]}" -c:a aac -b:a 44k \
            -movflags +faststart "recordings/$name.m4a"
        ;;
    05-*)
        # The one master as it comes off an AV desk: FLAC, 48 kHz, 16-bit stereo, far too
        # quiet (about -31 LUFS) and with 4 s of near-silence before the first word.
        # `audiofeed publish` masters it to a -16 LUFS MP3 (see docs/mastering.md).
        ffmpeg -hide_banner -loglevel error -y -i "$tmp/$name.wav" -map_metadata -1 \
            -fflags +bitexact -flags:a +bitexact \
            -af "aresample=48000,pan=stereo|c0=c0|c1=c0,volume=-13dB,adelay=4000:all=1" \
            -c:a flac -sample_fmt s16 -compression_level 8 \
            "recordings/$name.flac"
        ;;
    06-*)
        # Untagged MP3 at the lower bitrate; no ID3v2 header at all.
        ffmpeg -i "$tmp/$name.wav" "${common[@]}" -c:a libmp3lame -b:a 48k \
            -id3v2_version 0 "recordings/$name.mp3"
        ;;
    *)
        # Untagged MP3; no ID3v2 header at all.
        ffmpeg -i "$tmp/$name.wav" "${common[@]}" -c:a libmp3lame -b:a 64k \
            -id3v2_version 0 "recordings/$name.mp3"
        ;;
    esac
done

# Cover: 1400x1400 JPEG, a diagonal gradient with the show name drawn on it.
# Text goes through files so drawtext needs no escaping.
printf '%s' "SOC22" >"$tmp/t1.txt"
printf '%s' "Social Outcomes Conference 2022" >"$tmp/t2.txt"
printf '%s' "— session recordings —" >"$tmp/t3.txt"
printf '%s' "Government Outcomes Lab · Blavatnik School of Government · Oxford" >"$tmp/t4.txt"
ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "gradients=s=1400x1400:c0=0x0b2545:c1=0x13315c:c2=0x1b6f7a:nb_colors=3:x0=0:y0=0:x1=1400:y1=1400:seed=1" \
    -vf "drawbox=x=120:y=930:w=1160:h=6:color=0xf4b942:t=fill,\
drawtext=fontfile=$FONT_BOLD:textfile=$tmp/t1.txt:fontsize=330:fontcolor=white:x=(w-text_w)/2:y=380,\
drawtext=fontfile=$FONT_BOLD:textfile=$tmp/t2.txt:fontsize=66:fontcolor=white:x=(w-text_w)/2:y=980,\
drawtext=fontfile=$FONT:textfile=$tmp/t3.txt:fontsize=64:fontcolor=0xf4b942:x=(w-text_w)/2:y=1085,\
drawtext=fontfile=$FONT:textfile=$tmp/t4.txt:fontsize=34:fontcolor=0xdde6ee:x=(w-text_w)/2:y=1280,\
format=yuvj444p" \
    -frames:v 1 -map_metadata -1 -fflags +bitexact -flags +bitexact -q:v 3 cover.jpg

ls -l recordings cover.jpg
du -ch recordings/* | tail -n 1
