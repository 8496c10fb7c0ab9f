# Makes the benchmark inputs: python3 gen.py OUT_DIR [MNIST_DIR]  (Debian's /usr/bin/python3 with numpy)
import gzip, numpy as np, zlib, struct, json, os, sys
out = sys.argv[1] if len(sys.argv) > 1 else '.'
mnist = sys.argv[2] if len(sys.argv) > 2 else os.environ.get('MNIST_DATA_DIR', '../shared/mnist')
os.makedirs(out, exist_ok=True)
b=gzip.open(os.path.join(mnist, 't10k-images-idx3-ubyte.gz')).read(); X=np.frombuffer(b,np.uint8,offset=16).reshape(-1,28,28)
d=X[0]
def png(arr, color):  # arr HxWxC uint8
    h,w=arr.shape[:2]
    raw=b''.join(b'\x00'+arr[y].tobytes() for y in range(h))
    def chunk(t,data): return struct.pack('>I',len(data))+t+data+struct.pack('>I',zlib.crc32(t+data)&0xffffffff)
    return b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,color,0,0,0))+chunk(b'IDAT',zlib.compress(raw,6))+chunk(b'IEND',b'')
big=np.kron(d,np.ones((10,10),np.uint8))
rgba=np.zeros((280,280,4),np.uint8); rgba[...,3]=big
open(os.path.join(out, 'digit280-rgba.png'),'wb').write(png(rgba,6))
open(os.path.join(out, 'digit28.png'),'wb').write(png(d[...,None],0))
open(os.path.join(out, 'pixels.json'),'w').write(json.dumps({"pixels":[int(v) for v in d.flatten()]}))
# Smooth (bilinear) enlargement, like a canvas with anti-aliased strokes.
def bilinear(a, s):
    n=a.shape[0]*s; u=(np.arange(n)+0.5)/s-0.5; i0=np.clip(np.floor(u).astype(int),0,a.shape[0]-1); i1=np.clip(i0+1,0,a.shape[0]-1); f=u-np.floor(u)
    a=a.astype(float); r=a[i0]*(1-f)[:,None]+a[i1]*f[:,None]; return r[:,i0]*(1-f)[None,:]+r[:,i1]*f[None,:]
big=np.clip(bilinear(d,10),0,255).astype(np.uint8)
rgba=np.zeros((280,280,4),np.uint8); rgba[...,3]=big
open(os.path.join(out, 'digit280-rgba.png'),'wb').write(png(rgba,6))
# The same image with the Paeth filter on every row (browsers filter their PNGs; Paeth is the costliest to undo).
def png_paeth(arr, color, bpp):
    h,w=arr.shape[:2]; rows=arr.reshape(h,-1).astype(int); out=b''
    for y in range(h):
        cur=rows[y]; prev=rows[y-1] if y>0 else np.zeros_like(cur)
        a=np.concatenate([np.zeros(bpp,int),cur[:-bpp]]); b=prev; c=np.concatenate([np.zeros(bpp,int),prev[:-bpp]])
        p=a+b-c; pa=abs(p-a); pb=abs(p-b); pc=abs(p-c)
        pred=np.where((pa<=pb)&(pa<=pc),a,np.where(pb<=pc,b,c))
        out+=b'\x04'+((cur-pred)%256).astype(np.uint8).tobytes()
    def chunk(t,data): return struct.pack('>I',len(data))+t+data+struct.pack('>I',zlib.crc32(t+data)&0xffffffff)
    return b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,color,0,0,0))+chunk(b'IDAT',zlib.compress(out,6))+chunk(b'IEND',b'')
open(os.path.join(out, 'digit280-rgba-paeth.png'),'wb').write(png_paeth(rgba,6,4))
