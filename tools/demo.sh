#!/usr/bin/env bash
# The main job on the embedded default: build, start a server on its own bbolt
# file, import the sample directory, walk one inspection from 报备 to 扫码核验,
# simulate a period of officers and enterprises (ruqi simulate), and print
# the 司法局's report. Needs only Go; no other service.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mkdir -p bin
go build -o bin/ruqi-server ./server
go build -o bin/ruqi ./client

work=$(mktemp -d)
data="$work/data"
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

say "启动服务（内嵌模式：bbolt 文件 $data/ruqi.db）"
bin/ruqi-server -data-dir "$data" -grpc-addr 127.0.0.1:0 -http-addr 127.0.0.1:0 \
  -ready-file "$work/ready.json" -log-level warn -log-interval 500ms &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/ready.json" ] && break; sleep 0.1; done
[ -s "$work/ready.json" ] || { echo "服务未能启动"; exit 1; }
grpc_addr=$(sed -E 's/.*"grpc_addr":"([^"]+)".*/\1/' "$work/ready.json")
export RUQI_SERVER="$grpc_addr" RUQI_KEYS_CACHE="$work/keys.json"
admin="$data/admin.token"
echo "gRPC $grpc_addr"

say "导入样例名录（虚构数据）"
bin/ruqi --token-file "$admin" admin import testdata/sample/directory.json

officer=$(bin/ruqi --token-file "$admin" admin token issue --role officer --subject O-0001 -q)
ent=91510104CY4C7RGWMR
other=925101132RK1E4D69X
ent_tok=$(bin/ruqi --token-file "$admin" admin token issue --role enterprise --subject "$ent" -q)
other_tok=$(bin/ruqi --token-file "$admin" admin token issue --role enterprise --subject "$other" -q)

say "执法人员 O-0001 报备一次检查：两名执法人员、两项清单内事项"
reg=$(bin/ruqi --token "$officer" -o json officer register --enterprise "$ent" \
  --items CI-0001,CI-0004 --officers O-0001,O-0010 --from now --duration 4h \
  --type routine --reason "2026年度食品安全日常检查（演示）")
ins=$(printf '%s' "$reg" | sed -nE 's/.*"id": *"(INS-[^"]+)".*/\1/p' | head -1)
bin/ruqi --token "$officer" officer show --inspection "$ins"

say "领取入企码（终端二维码）"
bin/ruqi --token "$officer" officer code --inspection "$ins" --officer O-0001 --qr --png "$work/code.png"
url=$(bin/ruqi --token "$officer" -o json officer code --inspection "$ins" --officer O-0001 | sed -nE 's/.*"url": *"([^"]+)".*/\1/p')

say "企业扫码核验（解码二维码图片）"
bin/ruqi --token "$ent_tok" company scan --png "$work/code.png" || true
say "再次扫码：同一次签到"
bin/ruqi --token "$ent_tok" company scan "$url" || true
say "篡改一个字符的入企码"
tampered="${url%?????}A${url: -4}"
[ "$tampered" = "$url" ] && tampered="${url%?????}B${url: -4}"
bin/ruqi --token "$ent_tok" company scan "$tampered" || true
say "其他企业扫描此码"
bin/ruqi --token "$other_tok" company scan "$url" || true
say "离线核验（使用缓存的公钥）"
bin/ruqi keys fetch
bin/ruqi company scan --offline --as "$ent" "$url" || true

say "已经实施（已扫码签到）的检查不能撤销"
bin/ruqi --token "$officer" officer cancel --inspection "$ins" --reason "企业临时停产，改期（演示）" || true

say "撤销另一次尚未实施的报备，企业再扫码，拒绝检查"
reg2=$(bin/ruqi --token "$officer" -o json officer register --enterprise "$other" \
  --items CI-0001 --officers O-0001,O-0010 --from now --duration 2h \
  --type routine --reason "2026年度食品安全日常检查（演示）")
ins2=$(printf '%s' "$reg2" | sed -nE 's/.*"id": *"(INS-[^"]+)".*/\1/p' | head -1)
url2=$(printf '%s' "$reg2" | sed -nE 's/.*"url": *"([^"]+)".*/\1/p' | head -1)
bin/ruqi --token "$officer" officer cancel --inspection "$ins2" --reason "企业临时停产，改期（演示）"
bin/ruqi --token "$other_tok" company scan "$url2" || true
bin/ruqi --token "$other_tok" company refuse --code "$url2" --reason "检查已撤销仍出示入企码（演示）"

say "这次检查的事件日志"
bin/ruqi --token-file "$admin" admin events list --inspection "$ins"

say "企业取回存证（事件进入默克尔日志后几秒内可取），只凭日志公钥离线核验"
for _ in $(seq 40); do
  out=$(bin/ruqi --token "$ent_tok" receipt get --inspection "$ins" --dir "$work/receipts")
  case "$out" in *尚未入日志*) sleep 0.25 ;; *) break ;; esac
done
echo "$out"
bin/ruqi receipt verify "$work"/receipts/*.json
say "核对日志只增不改：记下当前检查点，模拟之后再核对"
bin/ruqi log verify --state "$work/checkpoint"

say "模拟一个时期：${SIM_INSPECTIONS:-1000} 次报备（样例名录，虚构数据）"
bin/ruqi --token-file "$admin" simulate --skip-import --inspections "${SIM_INSPECTIONS:-1000}" --concurrency 8

supervisor=$(bin/ruqi --token-file "$admin" admin token issue --role supervisor --subject 510100 -q)
say "司法局报表：被检查最多的企业"
bin/ruqi --token "$supervisor" supervisor report --group-by enterprise --top 10 | sed -n '/^分组/,$p'
say "问题线索（前 10 条）"
bin/ruqi --token "$supervisor" supervisor leads | sed -n 1,11p  # the header and ten leads

sleep 1
say "默克尔日志：模拟之后的日志延续了模拟之前的检查点"
bin/ruqi log verify --state "$work/checkpoint"
say "事件日志核验：哈希链、与最新签名检查点相符，以及存储的记录与日志所载相符"
bin/ruqi --token-file "$admin" admin events verify
