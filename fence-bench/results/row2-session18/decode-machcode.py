import re,sys,subprocess
lines=open(sys.argv[1]).read().split('\n')
start=int(sys.argv[2]); end=int(sys.argv[3])
base=None; data=bytearray()
for l in lines[start-1:end]:
    m=re.match(r'\s*0x([0-9a-f]+): ((?:[0-9a-f]{4,8} ?\|? ?)+)',l)
    if not m: continue
    addr=int(m.group(1),16)
    hexs=re.sub(r'[^0-9a-f]','',m.group(2))
    if base is None: base=addr
    if addr-base!=len(data):
        if addr-base<len(data): continue
        data+=b'\x90'*(addr-base-len(data))
    data+=bytes.fromhex(hexs)
open('/tmp/s18/code.bin','wb').write(data)
print(subprocess.run(['objdump','-D','-b','binary','-mi386:x86-64','-M','intel','--adjust-vma=%#x'%base,'/tmp/s18/code.bin'],capture_output=True,text=True).stdout)
