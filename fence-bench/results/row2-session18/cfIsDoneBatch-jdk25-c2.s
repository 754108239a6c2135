
/tmp/s18/code.bin:     file format binary


Disassembly of section .data:

00007fe297f10310 <.data>:
    7fe297f10310:	89 84 24 00 c0 fe ff 	mov    DWORD PTR [rsp-0x14000],eax
    7fe297f10317:	55                   	push   rbp
    7fe297f10318:	48 83 ec 20          	sub    rsp,0x20
    7fe297f1031c:	41 81 7f 20 01 00 00 	cmp    DWORD PTR [r15+0x20],0x1
    7fe297f10323:	00 
    7fe297f10324:	0f 85 a4 01 00 00    	jne    0x7fe297f104ce
    7fe297f1032a:	44 8b 4e 1c          	mov    r9d,DWORD PTR [rsi+0x1c]
    7fe297f1032e:	43 8b 7c cc 0c       	mov    edi,DWORD PTR [r12+r9*8+0xc]
    7fe297f10333:	33 ed                	xor    ebp,ebp
    7fe297f10335:	85 ff                	test   edi,edi
    7fe297f10337:	0f 86 2b 01 00 00    	jbe    0x7fe297f10468
    7fe297f1033d:	44 8d 5f ff          	lea    r11d,[rdi-0x1]
    7fe297f10341:	44 3b df             	cmp    r11d,edi
    7fe297f10344:	0f 83 22 01 00 00    	jae    0x7fe297f1046c
    7fe297f1034a:	47 8b 54 cc 10       	mov    r10d,DWORD PTR [r12+r9*8+0x10]
    7fe297f1034f:	43 8b 5c d4 0c       	mov    ebx,DWORD PTR [r12+r10*8+0xc]
    7fe297f10354:	85 db                	test   ebx,ebx
    7fe297f10356:	0f 84 2c 01 00 00    	je     0x7fe297f10488
    7fe297f1035c:	4b 8d 34 cc          	lea    rsi,[r12+r9*8]
    7fe297f10360:	44 8d 57 fd          	lea    r10d,[rdi-0x3]
    7fe297f10364:	ba 01 00 00 00       	mov    edx,0x1
    7fe297f10369:	41 83 fa 01          	cmp    r10d,0x1
    7fe297f1036d:	0f 8e 89 00 00 00    	jle    0x7fe297f103fc
    7fe297f10373:	41 b8 a0 0f 00 00    	mov    r8d,0xfa0
    7fe297f10379:	eb 60                	jmp    0x7fe297f103db
    7fe297f1037b:	0f 1f 44 00 00       	nop    DWORD PTR [rax+rax*1+0x0]
    7fe297f10380:	8b d0                	mov    edx,eax
    7fe297f10382:	8b 5c 96 10          	mov    ebx,DWORD PTR [rsi+rdx*4+0x10]
    7fe297f10386:	41 8b 5c dc 0c       	mov    ebx,DWORD PTR [r12+rbx*8+0xc]
    7fe297f1038b:	85 db                	test   ebx,ebx
    7fe297f1038d:	0f 84 ae 00 00 00    	je     0x7fe297f10441
    7fe297f10393:	8b 5c 96 14          	mov    ebx,DWORD PTR [rsi+rdx*4+0x14]
    7fe297f10397:	41 8b 5c dc 0c       	mov    ebx,DWORD PTR [r12+rbx*8+0xc]
    7fe297f1039c:	85 db                	test   ebx,ebx
    7fe297f1039e:	0f 84 96 00 00 00    	je     0x7fe297f1043a
    7fe297f103a4:	8b 4c 96 18          	mov    ecx,DWORD PTR [rsi+rdx*4+0x18]
    7fe297f103a8:	41 8b 5c cc 0c       	mov    ebx,DWORD PTR [r12+rcx*8+0xc]
    7fe297f103ad:	85 db                	test   ebx,ebx
    7fe297f103af:	0f 84 89 00 00 00    	je     0x7fe297f1043e
    7fe297f103b5:	8b 4c 96 1c          	mov    ecx,DWORD PTR [rsi+rdx*4+0x1c]
    7fe297f103b9:	41 8b 5c cc 0c       	mov    ebx,DWORD PTR [r12+rcx*8+0xc]
    7fe297f103be:	85 db                	test   ebx,ebx
    7fe297f103c0:	74 75                	je     0x7fe297f10437
    7fe297f103c2:	8d 42 04             	lea    eax,[rdx+0x4]
    7fe297f103c5:	41 3b c3             	cmp    eax,r11d
    7fe297f103c8:	7c b6                	jl     0x7fe297f10380
    7fe297f103ca:	4d 8b 5f 30          	mov    r11,QWORD PTR [r15+0x30]
    7fe297f103ce:	83 c2 04             	add    edx,0x4
    7fe297f103d1:	41 85 03             	test   DWORD PTR [r11],eax
    7fe297f103d4:	41 3b c2             	cmp    eax,r10d
    7fe297f103d7:	7d 28                	jge    0x7fe297f10401
    7fe297f103d9:	8b d0                	mov    edx,eax
    7fe297f103db:	44 8b df             	mov    r11d,edi
    7fe297f103de:	44 2b da             	sub    r11d,edx
    7fe297f103e1:	41 83 c3 fd          	add    r11d,0xfffffffd
    7fe297f103e5:	44 3b d2             	cmp    r10d,edx
    7fe297f103e8:	44 0f 4c dd          	cmovl  r11d,ebp
    7fe297f103ec:	41 81 fb a0 0f 00 00 	cmp    r11d,0xfa0
    7fe297f103f3:	45 0f 47 d8          	cmova  r11d,r8d
    7fe297f103f7:	44 03 da             	add    r11d,edx
    7fe297f103fa:	eb 86                	jmp    0x7fe297f10382
    7fe297f103fc:	b8 01 00 00 00       	mov    eax,0x1
    7fe297f10401:	3b c7                	cmp    eax,edi
    7fe297f10403:	7d 20                	jge    0x7fe297f10425
    7fe297f10405:	44 8b 5c 86 10       	mov    r11d,DWORD PTR [rsi+rax*4+0x10]
    7fe297f1040a:	43 8b 5c dc 0c       	mov    ebx,DWORD PTR [r12+r11*8+0xc]
    7fe297f1040f:	85 db                	test   ebx,ebx
    7fe297f10411:	74 79                	je     0x7fe297f1048c
    7fe297f10413:	44 8d 58 01          	lea    r11d,[rax+0x1]
    7fe297f10417:	44 3b df             	cmp    r11d,edi
    7fe297f1041a:	7d 05                	jge    0x7fe297f10421
    7fe297f1041c:	41 8b c3             	mov    eax,r11d
    7fe297f1041f:	eb e4                	jmp    0x7fe297f10405
    7fe297f10421:	ff c0                	inc    eax
    7fe297f10423:	eb 02                	jmp    0x7fe297f10427
    7fe297f10425:	8b c2                	mov    eax,edx
    7fe297f10427:	48 83 c4 20          	add    rsp,0x20
    7fe297f1042b:	5d                   	pop    rbp
    7fe297f1042c:	49 3b 67 28          	cmp    rsp,QWORD PTR [r15+0x28]
    7fe297f10430:	0f 87 82 00 00 00    	ja     0x7fe297f104b8
    7fe297f10436:	c3                   	ret
    7fe297f10437:	83 c2 02             	add    edx,0x2
    7fe297f1043a:	ff c2                	inc    edx
    7fe297f1043c:	eb 03                	jmp    0x7fe297f10441
    7fe297f1043e:	83 c2 02             	add    edx,0x2
    7fe297f10441:	8b ea                	mov    ebp,edx
    7fe297f10443:	be 45 ff ff ff       	mov    esi,0xffffff45
    7fe297f10448:	89 3c 24             	mov    DWORD PTR [rsp],edi
    7fe297f1044b:	89 54 24 04          	mov    DWORD PTR [rsp+0x4],edx
    7fe297f1044f:	89 5c 24 08          	mov    DWORD PTR [rsp+0x8],ebx
    7fe297f10453:	44 89 4c 24 0c       	mov    DWORD PTR [rsp+0xc],r9d
    7fe297f10458:	66 66 90             	data16 xchg ax,ax
    7fe297f1045b:	e8 00 59 b5 ff       	call   0x7fe297a65d60
    7fe297f10460:	0f 1f 84 00 58 02 00 	nop    DWORD PTR [rax+rax*1+0x1000258]
    7fe297f10467:	01 
    7fe297f10468:	33 c0                	xor    eax,eax
    7fe297f1046a:	eb bb                	jmp    0x7fe297f10427
    7fe297f1046c:	be 6e ff ff ff       	mov    esi,0xffffff6e
    7fe297f10471:	89 3c 24             	mov    DWORD PTR [rsp],edi
    7fe297f10474:	44 89 4c 24 04       	mov    DWORD PTR [rsp+0x4],r9d
    7fe297f10479:	66 90                	xchg   ax,ax
    7fe297f1047b:	e8 e0 58 b5 ff       	call   0x7fe297a65d60
    7fe297f10480:	0f 1f 84 00 78 02 00 	nop    DWORD PTR [rax+rax*1+0x2000278]
    7fe297f10487:	02 
    7fe297f10488:	33 d2                	xor    edx,edx
    7fe297f1048a:	eb b5                	jmp    0x7fe297f10441
    7fe297f1048c:	8b d0                	mov    edx,eax
    7fe297f1048e:	eb b1                	jmp    0x7fe297f10441
    7fe297f10490:	be f6 ff ff ff       	mov    esi,0xfffffff6
    7fe297f10495:	66 90                	xchg   ax,ax
    7fe297f10497:	e8 c4 58 b5 ff       	call   0x7fe297a65d60
    7fe297f1049c:	0f 1f 84 00 94 02 00 	nop    DWORD PTR [rax+rax*1+0x3000294]
    7fe297f104a3:	03 
    7fe297f104a4:	be f6 ff ff ff       	mov    esi,0xfffffff6
    7fe297f104a9:	66 90                	xchg   ax,ax
    7fe297f104ab:	e8 b0 58 b5 ff       	call   0x7fe297a65d60
    7fe297f104b0:	0f 1f 84 00 a8 02 00 	nop    DWORD PTR [rax+rax*1+0x40002a8]
    7fe297f104b7:	04 
    7fe297f104b8:	49 ba 2c 04 f1 97 e2 	movabs r10,0x7fe297f1042c
    7fe297f104bf:	7f 00 00 
    7fe297f104c2:	4d 89 97 38 05 00 00 	mov    QWORD PTR [r15+0x538],r10
    7fe297f104c9:	e9 92 96 a7 ff       	jmp    0x7fe297989b60
    7fe297f104ce:	e8 ed 00 a6 ff       	call   0x7fe2979705c0
    7fe297f104d3:	e9 52 fe ff ff       	jmp    0x7fe297f1032a

