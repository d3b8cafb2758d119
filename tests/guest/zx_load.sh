# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# sh zx_load.sh DIR [PARAM=VALUE...]: what "modprobe zramx PARAM..." does
# on a machine where the modules are installed, for a guest whose
# zsfast.ko and zramx.ko are in DIR: load the compressors zramx may ask
# for, then zsfast.ko, then zramx.ko with the parameters.  t_zramxctl.sh
# gives it to zramx-swap as ZRAMX_MODPROBE.

dir=$1
shift
for m in lzo_compress lz4_compress lz4hc_compress zstd_compress; do
	modprobe $m 2>/dev/null
done
insmod "$dir/zsfast.ko" && insmod "$dir/zramx.ko" "$@"
