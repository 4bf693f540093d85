/*
 * site_lua.h - the one Lua script of the site exchange (analysis/intel/
 * site.c), run with EVAL so a tick is one round trip.  Times travel as
 * decimal strings and are stored as received (Lua numbers are doubles:
 * compared with tonumber, exact below 2^53 usec, never converted back).
 *
 * ARGV: 1 prefix, 2 ttl, 3 sensor, 4 clock, 5 horizon, 6 maxlen,
 *       7 pull COUNT (0 = no pull), 8 peers k, then k (name, cursor)
 *       pairs, then the deltas (lines of include/xm_site.h's kinds).
 * Returns { HGETALL P:clock, XRANGE P:log:peer1 ..., ... }.
 * Keys are built from ARGV, so the script is for a standalone Redis.
 */
#ifndef XM_SITE_LUA_H
#define XM_SITE_LUA_H

static const char site_lua[] =
"local p, ttl, me = ARGV[1], tonumber(ARGV[2]), ARGV[3]\n"
"local function split(s) local f = {} for x in string.gmatch(s .. '\\t', '([^\\t]*)\\t') "
"do f[#f + 1] = x end return f end\n"
"local function minf(k, fld, t) local o = redis.call('HGET', k, fld) "
"if not o or tonumber(t) < tonumber(o) then redis.call('HSET', k, fld, t) end end\n"
"local function pair(f) local k = p .. ':' .. f[1] .. ':' .. f[3] "
"minf(k, 'first', f[4]) minf(k, 'h:' .. f[2], f[4]) redis.call('EXPIRE', k, ttl) end\n"
"local function ai(f) local k, fld = p .. ':ai:' .. f[2], f[3] .. '\\t' .. f[4] "
"local a, b, c = f[5], f[6], f[7] local o = redis.call('HGET', k, fld) "
"if o then local x, y, z = string.match(o, '(%S+) (%S+) (%S+)') "
"if tonumber(x) < tonumber(a) then a = x end if tonumber(y) > tonumber(b) then b = y end "
"if tonumber(z) > tonumber(c) then c = z end end "
"redis.call('HSET', k, fld, a .. ' ' .. b .. ' ' .. c) redis.call('EXPIRE', k, ttl) end\n"
"local k = tonumber(ARGV[8]) local first = 9 + 2 * k\n"
"for i = first, #ARGV do local f = split(ARGV[i]) "
"if f[1] == 'd' or f[1] == 'a' then pair(f) elseif f[1] == 'e' then ai(f) "
"elseif f[1] == 's' then minf(p .. ':start', 'first', f[2]) end end\n"
"if #ARGV >= first then redis.call('XADD', p .. ':log:' .. me, 'MAXLEN', '~', ARGV[6], '*', "
"'h', ARGV[5], 'd', table.concat(ARGV, '\\n', first)) end\n"
"redis.call('HSET', p .. ':clock', me, ARGV[4])\n"
"local out = {redis.call('HGETALL', p .. ':clock')}\n"
"local n = tonumber(ARGV[7])\n"
"for i = 0, k - 1 do local peer, cur = ARGV[9 + 2 * i], ARGV[10 + 2 * i] "
"if n > 0 then out[#out + 1] = redis.call('XRANGE', p .. ':log:' .. peer, cur, '+', "
"'COUNT', n) else out[#out + 1] = {} end end\n"
"return out\n";

#endif
